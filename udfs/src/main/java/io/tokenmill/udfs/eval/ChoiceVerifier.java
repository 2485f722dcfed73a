package io.tokenmill.udfs.eval;

/**
 * {@code choice}: the same option letter A–J on both sides, case-insensitive, with {@code (B)} or
 * {@code B.} read as {@code B}. A reference that names no letter is a data error. Pairs with the
 * {@code choice} extractor.
 */
public final class ChoiceVerifier implements Verifier {

  @Override
  public boolean verify(String extracted, String reference) {
    String expected = ChoiceExtractor.letterOf(reference);
    if (expected == null) {
      throw new IllegalArgumentException(
          "eval.verifier choice: reference '" + reference + "' is not an option letter A-J");
    }
    return expected.equals(ChoiceExtractor.letterOf(extracted));
  }

  @Override
  public Extractor defaultExtractor() {
    return new ChoiceExtractor();
  }
}
