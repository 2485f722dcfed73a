package io.tokenmill.udfs.eval;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How Tokenmill reads numbers in answers and references, shared by the {@code last_number} extractor
 * and the {@code numeric} verifier so that whatever one extracts the other can compare.
 *
 * <p>A number is an optional minus sign, digits with optional {@code ,} thousands groups
 * ({@code 1,234}), an optional decimal part ({@code 3.50}, {@code .5}), and optionally a fraction
 * denominator ({@code 1/2}, {@code -3/4}). Scientific notation is not read: {@code 2e5} in prose is
 * more often a label than a number.
 */
final class Numbers {

  private static final String MINUS = "[-\u2212]";
  private static final String UNSIGNED =
      "(?:(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|\\.\\d+)(?:/\\d+)?(?!\\d)";

  /**
   * A number inside running text. NOTE: it may not start right after a letter, digit or dot, so
   * {@code Qwen2} and {@code v1.5} hold no number; a minus counts only where it cannot be a hyphen or
   * a subtraction ({@code 3-5} is 3 and 5, not 3 and -5). {@code 1,2,3} is three numbers.
   */
  static final Pattern IN_TEXT = Pattern.compile("(?<![\\w.])(?:" + MINUS + ")?" + UNSIGNED);

  private static final Pattern WHOLE = Pattern.compile("[-+\u2212]?" + UNSIGNED);
  private static final Pattern LATEX_FRACTION =
      Pattern.compile("(-?)\\\\[dt]?frac\\{\\s*(-?\\d+)\\s*\\}\\{\\s*(\\d+)\\s*\\}");

  private Numbers() {}

  /** A number found in text written plainly: commas dropped, unicode minus as {@code -}. */
  static String canonical(String numberText) {
    return numberText.replace(",", "").replace('\u2212', '-');
  }

  /**
   * The value of a string that is just a number, allowing what answers wrap numbers in: surrounding
   * whitespace and {@code $...$}, a leading currency {@code $}, a trailing {@code %} or period, LaTeX
   * {@code \frac{a}{b}}, {@code \$}, {@code \%} and thin spaces. Null when the string is anything else (or a fraction over zero).
   * Exact (BigDecimal, fractions to 34 digits), so numbers of any length compare right — a double would turn
   * a 400-digit reference into Infinity, which every answer is "close" to.
   */
  static BigDecimal parse(String text) {
    if (text == null) return null;
    String s = stripTrailingPeriod(stripMath(unescapeLatex(text.trim())));
    if (s.startsWith("$")) s = s.substring(1).trim();
    if (s.endsWith("%")) s = s.substring(0, s.length() - 1).trim();
    Matcher latex = LATEX_FRACTION.matcher(s);
    if (latex.matches()) {
      return divide(latex.group(1) + latex.group(2), latex.group(3));
    }
    if (!WHOLE.matcher(s).matches()) return null;
    String plain = canonical(s);
    if (plain.startsWith("+")) plain = plain.substring(1);
    int slash = plain.indexOf('/');
    return slash < 0
        ? new BigDecimal(plain)
        : divide(plain.substring(0, slash), plain.substring(slash + 1));
  }

  private static final BigDecimal TOLERANCE = new BigDecimal("1e-6");

  /**
   * The same answer: two whole numbers must be equal ({@code 021} = {@code 21}, but {@code 105178800} is not
   * {@code 105178880}, which a relative tolerance would accept above a million); otherwise equal within 1e-6
   * relative to the larger magnitude (so 0 equals only 0, and {@code 0.333333} is {@code 1/3}), computed exactly.
   */
  static boolean close(BigDecimal a, BigDecimal b) {
    if (isWhole(a) && isWhole(b)) return a.compareTo(b) == 0;
    return a.subtract(b).abs().compareTo(TOLERANCE.multiply(a.abs().max(b.abs()))) <= 0;
  }

  private static boolean isWhole(BigDecimal x) {
    return x.stripTrailingZeros().scale() <= 0;
  }

  /** LaTeX spellings inside a number: {@code \$}, {@code \%}, thin spaces {@code \,} and {@code {,}}. */
  private static String unescapeLatex(String s) {
    return s.replace("\\$", "$").replace("\\%", "%").replace("\\,", "").replace("{,}", ",");
  }

  /** Removes one pair of surrounding {@code $...$} or {@code $$...$$}. */
  static String stripMath(String s) {
    for (String fence : new String[] {"$$", "$"}) {
      if (s.length() > 2 * fence.length() && s.startsWith(fence) && s.endsWith(fence)) {
        return s.substring(fence.length(), s.length() - fence.length()).trim();
      }
    }
    return s;
  }

  static String stripTrailingPeriod(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1).trim() : s;
  }

  private static BigDecimal divide(String numerator, String denominator) {
    BigDecimal d = new BigDecimal(denominator);
    if (d.signum() == 0) return null;
    return new BigDecimal(numerator).divide(d, MathContext.DECIMAL128);
  }
}
