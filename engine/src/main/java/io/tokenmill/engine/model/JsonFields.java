package io.tokenmill.engine.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict reads of the JSON in downloaded model files (config.json, safetensors headers, tokenizer files).
 * Model directories are untrusted, so every wrong type, missing key or malformed document becomes an
 * {@link IllegalArgumentException} whose message names the key and what was found, never a Gson message
 * or Java class name. Callers put the file name in front.
 */
public final class JsonFields {

  /** Largest JSON file read whole (config.json, tokenizer_config.json, ...): real ones are a few MB. */
  public static final long MAX_JSON_FILE_BYTES = 64L << 20;

  private static final Pattern WHERE = Pattern.compile("line \\d+ column \\d+");

  private JsonFields() {}

  /** Parses a document; the error says where it stops being JSON. */
  public static JsonElement parse(String text) {
    try {
      return JsonParser.parseString(text);
    } catch (RuntimeException e) {
      Matcher m = WHERE.matcher(String.valueOf(e.getMessage()));
      throw new IllegalArgumentException("not valid JSON" + (m.find() ? " (at " + m.group() + ")" : ""));
    }
  }

  /** Reads a whole file that must hold one JSON object; errors start with the file name. */
  public static JsonObject readObject(Path file) {
    String name = String.valueOf(file.getFileName());
    String text;
    try {
      long size = Files.size(file);
      if (size > MAX_JSON_FILE_BYTES) {
        throw new IllegalArgumentException(name + ": " + size + " bytes is too large (limit "
            + MAX_JSON_FILE_BYTES + ")");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(name + ": cannot read (" + e.getMessage() + ")");
    }
    try {
      return object(parse(text), "the document");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage());
    }
  }

  public static JsonObject object(JsonElement e, String key) {
    if (e == null || !e.isJsonObject()) throw wrongType(key, "a JSON object", e);
    return e.getAsJsonObject();
  }

  public static JsonArray array(JsonElement e, String key) {
    if (e == null || !e.isJsonArray()) throw wrongType(key, "a JSON list", e);
    return e.getAsJsonArray();
  }

  public static String string(JsonElement e, String key) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) throw wrongType(key, "a string", e);
    return e.getAsString();
  }

  public static boolean bool(JsonElement e, String key) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) throw wrongType(key, "true or false", e);
    return e.getAsBoolean();
  }

  public static double number(JsonElement e, String key) {
    if (!isNumber(e)) throw wrongType(key, "a number", e);
    double d = e.getAsDouble();
    if (!Double.isFinite(d)) throw wrongType(key, "a finite number", e);
    return d;
  }

  /** A whole number within long range. */
  public static long longValue(JsonElement e, String key) {
    if (!isNumber(e)) throw wrongType(key, "an integer", e);
    try {
      return new BigDecimal(e.getAsJsonPrimitive().getAsString()).longValueExact();
    } catch (ArithmeticException | NumberFormatException ex) {
      throw wrongType(key, "an integer within 64 bits", e);
    }
  }

  /** A whole number within int range. */
  public static int intValue(JsonElement e, String key) {
    long v = longValue(e, key);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw wrongType(key, "an integer within 32 bits", e);
    return (int) v;
  }

  /** The value as it appeared in the file, cut short: for messages. */
  public static String shown(JsonElement e) {
    String s = e == null ? "nothing" : e.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }

  private static boolean isNumber(JsonElement e) {
    return e != null && e.isJsonPrimitive() && ((JsonPrimitive) e).isNumber();
  }

  private static IllegalArgumentException wrongType(String key, String expected, JsonElement got) {
    return new IllegalArgumentException(key + " must be " + expected + ", got " + shown(got));
  }
}
