package io.tokenmill.reasoner.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * How often a digit occurs in a digit string, level L = the string has 3L-2 to 3L characters (1-12).
 *
 * <p>Scratchpad: one line per character, from the end (as the digit tasks go). Each line restates what is
 * left of the string, writes its last character next to the digit asked for, decides whether they are
 * equal, and gives the count so far; the answer is the last count. As with the digit sums of
 * {@link Addition}, the decision comes right after the two digits it compares:
 *
 * <pre>
 * 5727107 7=7? yes 1
 * 572710 0=7? no 1
 * 57271 1=7? no 1
 * 5727 7=7? yes 2
 * 572 2=7? no 2
 * 57 7=7? yes 3
 * 5 5=7? no 3
 * </pre>
 */
public final class DigitCount implements Task {

  @Override
  public String name() {
    return "count";
  }

  @Override
  public int strata(int level) {
    return 3;
  }

  @Override
  public String describe(int level) {
    return (3 * level - 2) + "-" + (3 * level) + " chars";
  }

  @Override
  public Problem generate(int level, int stratum, RandomGenerator rng) {
    int length = 3 * level - stratum;
    int target = rng.nextInt(10);
    // A per-problem match rate spreads the counts over 0..length instead of bunching them near length/10.
    double rate = rng.nextDouble() * 0.6;
    if (rng.nextInt(10) == 0) rate = rng.nextBoolean() ? 1 : 0; // one repeated digit: all matches or none
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      int d = rng.nextDouble() < rate ? target : rate == 0 && i > 0 ? s.charAt(0) - '0' : (target + 1 + rng.nextInt(9)) % 10;
      s.append((char) ('0' + d));
    }
    return of(level, s.toString(), target);
  }

  static Problem of(int level, String digits, int target) {
    String prompt = "How many " + target + "s are in " + digits + "?";
    List<String> lines = new ArrayList<>();
    int count = 0;
    for (int end = digits.length(); end > 0; end--) {
      boolean match = digits.charAt(end - 1) - '0' == target;
      if (match) count++;
      lines.add(digits.substring(0, end) + " " + digits.charAt(end - 1) + "=" + target + (match ? "? yes " : "? no ")
          + count);
    }
    return new Problem("count", level, prompt, String.join("\n", lines), Integer.toString(count));
  }
}
