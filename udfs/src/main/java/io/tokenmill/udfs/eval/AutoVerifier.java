package io.tokenmill.udfs.eval;

/**
 * {@code auto}: {@code numeric} when both sides read as numbers, else {@code exact}. Never rejects a
 * reference. Pairs with {@code auto} extraction as the last box, else the last number — for text
 * references choose {@code exact} (or an explicit extractor) instead.
 */
public final class AutoVerifier implements Verifier {

  @Override
  public boolean verify(String extracted, String reference) {
    if (extracted == null) return false;
    java.math.BigDecimal actual = Numbers.parse(extracted);
    java.math.BigDecimal expected = Numbers.parse(reference);
    if (actual != null && expected != null) return Numbers.close(actual, expected);
    return ExactVerifier.normalise(extracted).equals(ExactVerifier.normalise(reference));
  }

  @Override
  public Extractor defaultExtractor() {
    return new NumericVerifier().defaultExtractor();
  }
}
