package io.tokenmill.udfs.eval;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON reading and one canonical spelling (keys sorted at every level, no whitespace, numbers
 * as written), shared by the {@code json} extractor and verifier and by the seating reference reader.
 */
public final class JsonText {

  private static final Gson COMPACT = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  private JsonText() {}

  /**
   * The JSON value that {@code text} is, read strictly (RFC 8259: no comments, single quotes, unquoted
   * keys, trailing commas or NaN), or null when it is not exactly one JSON value.
   */
  public static JsonElement parseStrict(String text) {
    if (text == null) return null;
    try {
      JsonReader reader = new JsonReader(new StringReader(text));
      reader.setStrictness(Strictness.STRICT);
      JsonElement value = JsonParser.parseReader(reader);
      return reader.peek() == JsonToken.END_DOCUMENT ? value : null;
    } catch (JsonParseException | IOException | IllegalStateException e) {
      return null;
    }
  }

  /** The canonical spelling of a JSON value. */
  public static String canonical(JsonElement value) {
    return COMPACT.toJson(sortKeys(value));
  }

  /**
   * The last top-level JSON object in free text (as a model writes it, maybe inside a code fence), or
   * null. Objects nested in an accepted object are part of it; text that looks like an object but is
   * not valid JSON is skipped.
   */
  static JsonObject lastObject(String text) {
    JsonObject last = null;
    int i = text.indexOf('{');
    while (i >= 0) {
      int end = matchingBrace(text, i);
      JsonElement value = end < 0 ? null : parseStrict(text.substring(i, end + 1));
      if (value != null && value.isJsonObject()) {
        last = value.getAsJsonObject();
        i = text.indexOf('{', end + 1);
      } else {
        i = text.indexOf('{', i + 1);
      }
    }
    return last;
  }

  /** Index of the brace closing the object opened at {@code open}, skipping strings; -1 if none. */
  private static int matchingBrace(String text, int open) {
    int depth = 0;
    boolean inString = false;
    for (int i = open; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') i++;
        else if (c == '"') inString = false;
      } else if (c == '"') {
        inString = true;
      } else if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static JsonElement sortKeys(JsonElement value) {
    if (value.isJsonObject()) {
      List<Map.Entry<String, JsonElement>> entries = new ArrayList<>(value.getAsJsonObject().entrySet());
      entries.sort(Map.Entry.comparingByKey());
      JsonObject sorted = new JsonObject();
      for (Map.Entry<String, JsonElement> e : entries) sorted.add(e.getKey(), sortKeys(e.getValue()));
      return sorted;
    }
    if (value.isJsonArray()) {
      JsonArray sorted = new JsonArray();
      for (JsonElement item : value.getAsJsonArray()) sorted.add(sortKeys(item));
      return sorted;
    }
    return value;
  }
}
