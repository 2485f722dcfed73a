package io.tokenmill.udfs.eval;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code exact}: equal after normalising both sides — Unicode NFKC, trimmed, one surrounding
 * {@code $...$} removed, a trailing period removed, whitespace runs collapsed to one space, lower-cased.
 * Pairs with {@code auto} extraction as the last box, else the whole answer.
 */
public final class ExactVerifier implements Verifier {

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  @Override
  public boolean verify(String extracted, String reference) {
    return extracted != null && normalise(extracted).equals(normalise(reference));
  }

  @Override
  public Extractor defaultExtractor() {
    return new FirstOfExtractor(new BoxedExtractor(), new WholeAnswerExtractor());
  }

  static String normalise(String text) {
    String s = Normalizer.normalize(text, Normalizer.Form.NFKC).trim();
    s = Numbers.stripTrailingPeriod(Numbers.stripMath(s));
    return WHITESPACE.matcher(s).replaceAll(" ").toLowerCase(Locale.ROOT);
  }
}
