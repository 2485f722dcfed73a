package io.tokenmill.udfs.input;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Output types of the columns of a JSON Lines or CSV input when they are passed through ({@code
 * output.keep_columns}): both runners read text inputs with the same reader, and derive the same types here
 * from the same values, so they write the same Parquet schema.
 *
 * <ul>
 *   <li>a column whose values are all whole numbers that fit a long (nulls aside): {@link Type#LONG};
 *   <li>all booleans: {@link Type#BOOLEAN};
 *   <li>anything else — strings, decimals, numbers beyond a long, objects, arrays, mixed kinds, only nulls, and
 *       every CSV column: {@link Type#STRING}, the value as written: strings as they are, numbers in their plain
 *       digits ({@code 1.50}, {@code 12345678901234567890}), objects and arrays as compact JSON.
 * </ul>
 */
public final class TextColumnTypes implements Serializable {

  /** A passed-through text column's output type. */
  public enum Type { STRING, LONG, BOOLEAN }

  private static final Gson JSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  /** Per column: what its values were so far (insertion order = first appearance). */
  private final LinkedHashMap<String, Seen> seen = new LinkedHashMap<>();

  private enum Seen { NOTHING, LONG, BOOLEAN, OTHER }

  /** Folds one record's values in. */
  public void observe(Map<String, Object> values) {
    for (var e : values.entrySet()) {
      Seen now = seen.getOrDefault(e.getKey(), Seen.NOTHING);
      seen.put(e.getKey(), widen(now, kind(e.getValue())));
    }
  }

  /** The types of every record in {@code records} (error records have no values). */
  public static TextColumnTypes of(List<RawRecord> records) {
    TextColumnTypes t = new TextColumnTypes();
    for (RawRecord r : records) t.observe(r.values());
    return t;
  }

  /** This and {@code other} together (files read apart). */
  public TextColumnTypes merge(TextColumnTypes other) {
    TextColumnTypes m = new TextColumnTypes();
    m.seen.putAll(seen);
    other.seen.forEach((k, v) -> m.seen.put(k, widen(m.seen.getOrDefault(k, Seen.NOTHING), v)));
    return m;
  }

  /** The output type of {@code column} (STRING for a column never seen or only null). */
  public Type type(String column) {
    return switch (seen.getOrDefault(column, Seen.NOTHING)) {
      case LONG -> Type.LONG;
      case BOOLEAN -> Type.BOOLEAN;
      default -> Type.STRING;
    };
  }

  /** {@code value} (as the reader gave it) in the column's output type; null stays null. */
  public static Object convert(Object value, Type type) {
    if (value == null) return null;
    return switch (type) {
      case LONG -> (Long) value;
      case BOOLEAN -> (Boolean) value;
      case STRING -> text(value);
    };
  }

  private static String text(Object v) {
    if (v instanceof String s) return s;
    if (v instanceof BigDecimal b) return Math.abs((long) b.scale()) > 1000 ? b.toString() : b.toPlainString();
    if (v instanceof Number || v instanceof Boolean) return v.toString();
    return JSON.toJson(v); // an object or an array
  }

  private static Seen kind(Object v) {
    if (v == null) return Seen.NOTHING;
    if (v instanceof Long) return Seen.LONG;
    if (v instanceof Boolean) return Seen.BOOLEAN;
    return Seen.OTHER;
  }

  private static Seen widen(Seen a, Seen b) {
    if (a == Seen.NOTHING) return b;
    if (b == Seen.NOTHING || a == b) return a;
    return Seen.OTHER;
  }
}
