package io.tokenmill.udfs.eval;

import java.util.regex.Matcher;

/**
 * {@code last_number}: the last number in the text, written plainly: {@code -3}, {@code 1234} (from
 * {@code 1,234}), {@code 3.50} (decimals kept as written), {@code 1/2} (a fraction stays a fraction;
 * the {@code numeric} verifier reads it as 0.5). A sentence's final period is never part of the number.
 * See {@link Numbers} for exactly what counts as a number.
 */
public final class LastNumberExtractor implements Extractor {

  @Override
  public String extract(String answer) {
    if (answer == null) return null;
    String last = null;
    Matcher m = Numbers.IN_TEXT.matcher(answer);
    while (m.find()) last = m.group();
    return last == null ? null : Numbers.canonical(last);
  }
}
