package io.tokenmill.reasoner.tasks;

import java.util.ArrayList;
import java.util.List;

/**
 * Hand-written arithmetic edge cases (issue 13): operands of unrelated lengths in either order, zeros,
 * carry and borrow chains through every column, one repeated digit. Not drawn from any generator, so
 * they test generalisation; some may fall in the training slice of the split, which is fine for a list
 * this small and this deliberately chosen. Used by the edge-case accuracy test and {@code eval-tiny}.
 */
public final class EdgeCases {

  private EdgeCases() {}

  /** Every edge case as a problem with its worked scratchpad and answer. */
  public static List<Problem> all() {
    List<Problem> out = new ArrayList<>();
    long[][] adds = {
        {4, 3997199}, {3997199, 4}, {0, 0}, {0, 12345678}, {87654321, 0}, {99999999, 1}, {1, 99999999},
        {9, 9}, {5, 5}, {99999999, 99999999}, {11111111, 88888888}, {77777777, 22222223}, {1, 9999999},
        {12, 98765432}, {50000000, 50000000}, {4444, 5556}, {7, 1234567}, {123, 9999877}, {6666666, 3333334},
        {10000000, 1}};
    for (long[] x : adds) out.add(Addition.of(level(x), x[0], x[1]));
    long[][] subs = {
        {10000000, 1}, {10000000, 9999999}, {100000, 1}, {1, 1}, {0, 0}, {12345678, 12345678},
        {12345678, 0}, {99999999, 99999999}, {99999999, 1}, {11111111, 2}, {22222222, 11111111},
        {80000000, 7}, {1000, 999}, {3997199, 4}, {70000001, 70000000}, {55555555, 5}, {20000000, 19999999},
        {9, 0}, {100, 99}, {60606060, 6}};
    for (long[] x : subs) out.add(Subtraction.of(level(x), x[0], x[1]));
    long[][] muls = {
        {99999999, 9}, {11111111, 9}, {12345678, 0}, {0, 7}, {87654321, 1}, {55555555, 2}, {10000000, 9},
        {9, 9}, {1, 2}, {77777777, 7}, {25, 4}, {125, 8}, {99, 9}, {50505050, 2}, {33333333, 3}};
    for (long[] x : muls) out.add(Multiplication.of(level(x), x[0], (int) x[1]));
    String[][] counts = {
        {"777777777777", "7"}, {"777777777777", "1"}, {"0", "0"}, {"1", "0"}, {"000000000000", "0"},
        {"111111111112", "2"}, {"211111111111", "2"}, {"9", "9"}, {"1212121212", "2"}, {"88888", "8"}};
    for (String[] c : counts) out.add(DigitCount.of((c[0].length() + 2) / 3, c[0], Integer.parseInt(c[1])));
    return out;
  }

  /** The level a generator would give: by the longer operand's digits (1-2 → 1, ..., 7-8 → 4). */
  private static int level(long[] operands) {
    int digits = Math.max(Long.toString(operands[0]).length(), Long.toString(operands[1]).length());
    return (digits + 1) / 2;
  }
}
