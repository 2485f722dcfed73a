package io.tokenmill.udfs.eval;

/**
 * {@code numeric}: both sides read as numbers (see {@link Numbers#parse}: {@code 1,000} = {@code 1000},
 * {@code 0.50} = {@code 0.5}, {@code 1/2} = {@code \frac{1}{2}} = {@code 0.5}, {@code $5} = {@code 5})
 * and equal: exactly when both are whole numbers, else within 1e-6 relative. An extracted text that is
 * not a number is wrong; a reference that is not a number is a data error. Pairs with {@code auto} extraction as the last box, else the last number.
 */
public final class NumericVerifier implements Verifier {

  @Override
  public boolean verify(String extracted, String reference) {
    java.math.BigDecimal expected = Numbers.parse(reference);
    if (expected == null) {
      throw new IllegalArgumentException(
          "eval.verifier numeric: reference '" + reference + "' is not a number");
    }
    java.math.BigDecimal actual = Numbers.parse(extracted);
    return actual != null && Numbers.close(actual, expected);
  }

  @Override
  public Extractor defaultExtractor() {
    return new FirstOfExtractor(new BoxedExtractor(), new LastNumberExtractor());
  }
}
