package io.tokenmill.reasoner.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Multi-digit subtraction a - b with a >= b, level L = a has 2L-1 or 2L digits (1-8 over four levels),
 * b 1 to as many digits; round minuends (long borrow chains), zero and equal operands, repeated digits.
 *
 * <p>Scratchpad as for {@link Addition}, with the borrow {@code b} in place of the carry. Each step
 * writes the two digits and the incoming borrow, the result digit (mod 10) and then the outgoing borrow,
 * so that, as for the carry of an addition, the decision comes after the digits it depends on are on the
 * line. Leading zeros of the result are then dropped one per line, so the answer is an exact copy of
 * the last {@code r} (copying while skipping a variable number of zeros is what a small model got wrong):
 *
 * <pre>
 * 1000-999 b0 r 0-9-0=1 b1
 * 100-99 b1 r1 0-9-1=0 b1
 * 10-9 b1 r01 0-9-1=0 b1
 * 1- b1 r001 1-0-1=0 b0
 * r0001
 * r001
 * r01
 * r1
 * </pre>
 *
 * One problem in five has operands of equal length sharing leading digits, so results with leading
 * zeros (and the stripping they need) are common enough to learn.
 */
public final class Subtraction implements Task {

  @Override
  public String name() {
    return "sub";
  }

  @Override
  public int strata(int level) {
    return 2;
  }

  @Override
  public String describe(int level) {
    return Digits.twoPerLevel(level, "digits");
  }

  @Override
  public Problem generate(int level, int stratum, RandomGenerator rng) {
    int longer = 2 * level - stratum;
    long a = Digits.random(longer, rng);
    long b;
    if (longer > 1 && rng.nextInt(5) == 0) {
      // Same length, first `shared` digits equal: the difference is shorter than a.
      int shared = 1 + rng.nextInt(longer - 1);
      long unit = Digits.pow10(longer - shared);
      b = a / unit * unit + rng.nextLong(unit);
    } else if (rng.nextInt(10) == 0) {
      // A round minuend: a borrow through every column (10000000 - 1).
      a = (1 + rng.nextInt(9)) * Digits.pow10(longer - 1);
      b = Digits.operand(Digits.shorterLength(longer, rng), rng);
    } else if (rng.nextInt(20) == 0) {
      b = rng.nextBoolean() ? 0 : a;
    } else {
      if (rng.nextInt(10) == 0) a = Digits.repeated(longer, rng);
      b = Digits.operand(Digits.shorterLength(longer, rng), rng);
    }
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
      int next = d < 0 ? 1 : 0;
      d += 10 * next;
      lines.add(ra + "-" + rb + " b" + borrow + " r" + result + " " + da + "-" + db + "-" + borrow + "=" + d + " b" + next);
      result = d + result;
      borrow = next;
      ra = Digits.dropLast(ra);
      rb = Digits.dropLast(rb);
    }
    lines.add("r" + result);
    while (result.length() > 1 && result.charAt(0) == '0') {
      result = result.substring(1);
      lines.add("r" + result);
    }
    return new Problem("sub", level, prompt, String.join("\n", lines), result);
  }
}
