package io.tokenmill.reasoner.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Multi-digit addition, level L = the longer operand has 2L-1 or 2L digits (1-8 over four levels), the
 * other 1 to as many digits, either order; zeros, repeated digits and full carry chains mixed in.
 *
 * <p>Scratchpad: one line per digit, least significant first. Each line restates what is left of both
 * operands, the carry and the result digits so far, then the digit sum:
 *
 * <pre>
 * 4821+397 c0 r 1+7+0=8
 * 482+39 c0 r8 2+9+0=11
 * 48+3 c1 r18 8+3+1=12
 * 4+ c1 r218 4+0+1=5
 * r5218
 * </pre>
 *
 * Restating the operands means the digits a line needs are always the ones just before {@code +} and
 * before {@code " c"} on the line above, a lookup a small model learns far more easily than counting
 * positions back into the prompt. The result grows at the front, one digit per line; the last line
 * prepends the final carry ({@code 99+1} ends {@code r100}), so the answer is an exact copy of it.
 */
public final class Addition implements Task {

  @Override
  public String name() {
    return "add";
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
    int shorter = Digits.shorterLength(longer, rng);
    long x = Digits.random(longer, rng);
    long y = Digits.operand(shorter, rng);
    if (rng.nextInt(10) == 0) {
      x = Digits.repeated(longer, rng);
    } else if (rng.nextInt(10) == 0 && x > 0) {
      // The two operands complete each other to a power of ten: a carry through every column.
      long complement = Digits.pow10(longer) - x;
      if (complement > 0) y = complement;
    }
    boolean swap = rng.nextBoolean();
    return of(level, swap ? y : x, swap ? x : y);
  }

  static Problem of(int level, long a, long b) {
    String prompt = "What is " + a + " + " + b + "?";
    List<String> lines = new ArrayList<>();
    String ra = Long.toString(a);
    String rb = Long.toString(b);
    String result = "";
    int carry = 0;
    while (!ra.isEmpty() || !rb.isEmpty()) {
      int da = Digits.last(ra);
      int db = Digits.last(rb);
      int s = da + db + carry;
      lines.add(ra + "+" + rb + " c" + carry + " r" + result + " " + da + "+" + db + "+" + carry + "=" + s);
      result = (s % 10) + result;
      carry = s / 10;
      ra = Digits.dropLast(ra);
      rb = Digits.dropLast(rb);
    }
    result = (carry > 0 ? Integer.toString(carry) : "") + result;
    lines.add("r" + result);
    return new Problem("add", level, prompt, String.join("\n", lines), result);
  }
}
