package io.tokenmill.reasoner.tasks;

import java.util.random.RandomGenerator;

/** Small helpers shared by the digit tasks. */
final class Digits {

  private Digits() {}

  /** A uniform number with exactly {@code n} digits (0-9 for n = 1). */
  static long random(int n, RandomGenerator rng) {
    if (n == 1) return rng.nextInt(10);
    long lo = pow10(n - 1);
    return lo + rng.nextLong(9 * lo);
  }

  /**
   * Digits of the shorter operand: uniform in [ceil(n/2), n], so a harder level has both operands long
   * (a 1-digit addend would make an 8-digit problem mostly copying).
   */
  static int shorterLength(int n, RandomGenerator rng) {
    int min = (n + 1) / 2;
    return min + rng.nextInt(n - min + 1);
  }

  static long pow10(int n) {
    long p = 1;
    for (int i = 0; i < n; i++) p *= 10;
    return p;
  }

  /** The last digit of a digit string, or 0 when it is empty (a number that ran out of digits). */
  static int last(String digits) {
    return digits.isEmpty() ? 0 : digits.charAt(digits.length() - 1) - '0';
  }

  static String dropLast(String digits) {
    return digits.isEmpty() ? digits : digits.substring(0, digits.length() - 1);
  }

  /** "1-2 digits" for levels of two digit counts each: level L covers 2L-1 and 2L digits. */
  static String twoPerLevel(int level, String unit) {
    return (2 * level - 1) + "-" + (2 * level) + " " + unit;
  }
}
