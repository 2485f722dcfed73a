package io.tokenmill.reasoner.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A multi-digit number times one digit (2-9; 1 in 20 times 0 or 1), level L = the number has 2L-1 or 2L
 * digits; repeated digits and all nines mixed in.
 *
 * <p>Scratchpad as for {@link Addition}: one line per digit of the number, least significant first, the
 * carry (0-8) written explicitly; the last line prepends the final carry to the result, and the answer is
 * an exact copy of it.
 * Each step writes the digit product before adding the carry: two small tables (80 products, then a
 * one-digit addition) instead of one of 720 entries, which a small model learns much sooner.
 *
 * <pre>
 * 4821*7 c0 r 1*7=7+0=7
 * 482*7 c0 r7 2*7=14+0=14
 * 48*7 c1 r47 8*7=56+1=57
 * 4*7 c5 r747 4*7=28+5=33
 * r33747
 * </pre>
 */
public final class Multiplication implements Task {

  @Override
  public String name() {
    return "mul";
  }

  @Override
  public int strata(int level) {
    return 2;
  }

  @Override
  public String describe(int level) {
    return Digits.twoPerLevel(level, "digits x 1");
  }

  @Override
  public Problem generate(int level, int stratum, RandomGenerator rng) {
    int digits = 2 * level - stratum;
    long a = digits == 1 ? 1 + rng.nextInt(9) : Digits.random(digits, rng);
    if (rng.nextInt(10) == 0) a = Digits.repeated(digits, rng);
    else if (rng.nextInt(20) == 0) a = Digits.pow10(digits) - 1;
    // 1 in 20 multiplies by 0 or 1 (every product digit a copy or zero).
    int d = rng.nextInt(20) == 0 ? rng.nextInt(2) : 2 + rng.nextInt(8);
    return of(level, a, d);
  }

  static Problem of(int level, long a, int d) {
    String prompt = "What is " + a + " * " + d + "?";
    List<String> lines = new ArrayList<>();
    String ra = Long.toString(a);
    String result = "";
    int carry = 0;
    while (!ra.isEmpty()) {
      int da = Digits.last(ra);
      int product = da * d;
      int s = product + carry;
      lines.add(ra + "*" + d + " c" + carry + " r" + result + " " + da + "*" + d + "=" + product + "+" + carry + "=" + s);
      result = (s % 10) + result;
      carry = s / 10;
      ra = Digits.dropLast(ra);
    }
    result = (carry > 0 ? Integer.toString(carry) : "") + result;
    lines.add("r" + result);
    // Times 0 (or 0 times d) leaves zeros in front: dropped one per line, as subtraction does.
    while (result.length() > 1 && result.charAt(0) == '0') {
      result = result.substring(1);
      lines.add("r" + result);
    }
    return new Problem("mul", level, prompt, String.join("\n", lines), result);
  }
}
