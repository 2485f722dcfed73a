package io.tokenmill.udfs.eval;

import com.google.gson.JsonElement;

/**
 * {@code json}: both sides are the same JSON value — key order and whitespace ignored, numbers compared
 * by value ({@code 1.0} = {@code 1}). A reference that is not strict JSON is a data error. Pairs with
 * the {@code json} extractor.
 */
public final class JsonVerifier implements Verifier {

  @Override
  public boolean verify(String extracted, String reference) {
    JsonElement expected = JsonText.parseStrict(reference);
    if (expected == null) {
      throw new IllegalArgumentException(
          "eval.verifier json: reference '" + reference + "' is not valid JSON");
    }
    JsonElement actual = JsonText.parseStrict(extracted);
    return expected.equals(actual);
  }

  @Override
  public Extractor defaultExtractor() {
    return new JsonExtractor();
  }
}
