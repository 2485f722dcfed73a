package io.tokenmill.udfs.input;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON Lines line → column values. The line must hold exactly one JSON object (RFC 8259, strict: no
 * comments, NaN or single quotes); two values on one line, a duplicate key or anything but an object is an
 * error, never a guess. Numbers keep their literal digits: a whole number that fits a long is a Long, any
 * other a BigDecimal, so ids like {@code 1234567890123456789} stay exact.
 */
final class JsonLine {

  /** Why a line is not a row; the message says what is wrong, without the line's text. */
  static final class BadLine extends Exception {
    BadLine(String message) {
      super(message, null, false, false);
    }
  }

  private JsonLine() {}

  static Map<String, Object> parse(String line) throws BadLine {
    JsonReader r = new JsonReader(new StringReader(line));
    r.setStrictness(Strictness.STRICT);
    try {
      JsonToken first = r.peek();
      if (first != JsonToken.BEGIN_OBJECT) {
        throw new BadLine("not a JSON object (it starts with " + describe(first) + ")");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> row = (Map<String, Object>) value(r);
      JsonToken after;
      try {
        after = r.peek();
      } catch (IOException e) {
        after = null;
      }
      if (after != JsonToken.END_DOCUMENT) {
        throw new BadLine("more than one JSON value on the line (text after the object at column " + column(r) + ")");
      }
      return row;
    } catch (IOException | IllegalStateException e) {
      throw new BadLine("not a JSON object: " + shortMessage(e));
    }
  }

  private static Object value(JsonReader r) throws IOException, BadLine {
    switch (r.peek()) {
      case BEGIN_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        r.beginObject();
        while (r.hasNext()) {
          String name = r.nextName();
          Object v = value(r);
          if (m.containsKey(name)) throw new BadLine("the key '" + name + "' appears twice in one object");
          m.put(name, v);
        }
        r.endObject();
        return m;
      }
      case BEGIN_ARRAY -> {
        List<Object> l = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) l.add(value(r));
        r.endArray();
        return l;
      }
      case STRING -> {
        return r.nextString();
      }
      case NUMBER -> {
        return number(r.nextString());
      }
      case BOOLEAN -> {
        return r.nextBoolean();
      }
      case NULL -> {
        r.nextNull();
        return null;
      }
      default -> throw new BadLine("not a JSON object: unexpected " + r.peek());
    }
  }

  /** A JSON number literal, exactly: Long when it is a whole number in long range, else BigDecimal. */
  static Object number(String literal) {
    if (literal.indexOf('.') < 0 && literal.indexOf('e') < 0 && literal.indexOf('E') < 0) {
      try {
        return Long.parseLong(literal);
      } catch (NumberFormatException e) {
        // beyond long: BigDecimal below
      }
    }
    return new BigDecimal(literal);
  }

  private static String describe(JsonToken t) {
    return switch (t) {
      case BEGIN_ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> t.toString();
    };
  }

  private static String column(JsonReader r) {
    String p = r.toString(); // "JsonReader at line 1 column 25 path $"
    int i = p.indexOf("column ");
    return i < 0 ? "?" : p.substring(i + 7).split(" ")[0];
  }

  private static String shortMessage(Exception e) {
    String m = String.valueOf(e.getMessage());
    int see = m.indexOf("\nSee ");
    return see < 0 ? m : m.substring(0, see);
  }
}
