package io.tokenmill.udfs.eval;

import com.google.gson.JsonObject;

/**
 * {@code json}: the last valid JSON object in the text (strict JSON; fenced or inline), in canonical
 * form — keys sorted, no whitespace — so equal objects extract to equal strings. Null when there is
 * none. The last, not the first, because models sketch drafts before their final answer.
 */
public final class JsonExtractor implements Extractor {

  @Override
  public String extract(String answer) {
    if (answer == null) return null;
    JsonObject last = JsonText.lastObject(answer);
    return last == null ? null : JsonText.canonical(last);
  }
}
