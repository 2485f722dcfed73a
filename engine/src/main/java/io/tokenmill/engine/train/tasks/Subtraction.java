package io.tokenmill.engine.train.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Multi-digit subtraction a - b with a >= b, level L = a has 2L-1 or 2L digits (1-8 over four levels).
 *
 * <p>Scratchpad as for {@link Addition}, with the borrow {@code b} in place of the carry. A digit that
 * must borrow is written with the borrowed ten in front ({@code 11-5-0=6}) and the next line carries
 * {@code b1}. The result may have leading zeros; the answer drops them:
 *
 * <pre>
 * 1000-999 b0 r 10-9-0=1
 * 100-99 b1 r1 10-9-1=0
 * 10-9 b1 r01 10-9-1=0
 * 1- b1 r001 1-0-1=0
 * - b0 r0001
 * </pre>
 */
public final class Subtraction implements Task {

  @Override
  public String name() {
    return "sub";
  }

  @Override
  public String describe(int level) {
    return Digits.twoPerLevel(level, "digits");
  }

  @Override
  public Problem generate(int level, RandomGenerator rng) {
    int longer = 2 * level - rng.nextInt(2);
    int shorter = 1 + rng.nextInt(longer);
    long a = Digits.random(longer, rng);
    long b = Digits.random(shorter, rng);
    return b > a ? of(level, b, a) : of(level, a, b);
  }

  static Problem of(int level, long a, long b) {
    if (b > a) throw new IllegalArgumentException("subtraction needs a >= b: " + a + " - " + b);
    String prompt = "What is " + a + " - " + b + "?";
    List<String> lines = new ArrayList<>();
    String ra = Long.toString(a);
    String rb = Long.toString(b);
    String result = "";
    int borrow = 0;
    while (!ra.isEmpty()) {
      int da = Digits.last(ra);
      int db = Digits.last(rb);
      int d = da - db - borrow;
      String work = da + "-" + db + "-" + borrow + "=";
      String line = ra + "-" + rb + " b" + borrow + " r" + result + " ";
      if (d < 0) {
        lines.add(line + "1" + work + (d + 10));
        result = (d + 10) + result;
        borrow = 1;
      } else {
        lines.add(line + work + d);
        result = d + result;
        borrow = 0;
      }
      ra = Digits.dropLast(ra);
      rb = Digits.dropLast(rb);
    }
    lines.add("- b" + borrow + " r" + result);
    return new Problem("sub", level, prompt, String.join("\n", lines), Digits.stripZeros(result));
  }
}
