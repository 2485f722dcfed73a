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
   * Digits of the shorter operand: uniform in [1, n], independent of how long the longer one is. (v1
   * drew [ceil(n/2), n]; never having seen a 1-digit operand beside a 7-digit one, its model invented
   * digits for the short operand: {@code 4 + 3997199} became {@code 499 + 399719}.)
   */
  static int shorterLength(int n, RandomGenerator rng) {
    return 1 + rng.nextInt(n);
  }

  /** An {@code n}-digit number of one repeated digit ({@code 7777}); 1-9 unless n = 1. */
  static long repeated(int n, RandomGenerator rng) {
    int d = n == 1 ? rng.nextInt(10) : 1 + rng.nextInt(9);
    long x = 0;
    for (int i = 0; i < n; i++) x = 10 * x + d;
    return x;
  }

  /**
   * An {@code n}-digit operand, usually uniform; 1 in 10 one repeated digit, 1 in 20 all nines (the
   * longest carry chains), 1 in 25 zero. Edge cases a uniform draw almost never makes.
   */
  static long operand(int n, RandomGenerator rng) {
    int r = rng.nextInt(100);
    if (r < 10) return repeated(n, rng);
    if (r < 15) return pow10(n) - 1;
    if (r < 19) return 0;
    return random(n, rng);
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
