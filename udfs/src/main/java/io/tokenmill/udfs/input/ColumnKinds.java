package io.tokenmill.udfs.input;

import io.tokenmill.udfs.rows.ColumnKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Column kinds of a text input, for the driver-side schema check. CSV: every header column is a STRING (the
 * values are the fields' text; the normaliser reads numbers from it). JSON Lines: a column's kind is that of
 * its string and number values (an array of objects: MESSAGES); where rows disagree the column is a STRING, as
 * Spark's JSON reader would have it. Booleans, objects and other arrays decide no kind: they are row-level
 * problems the normaliser reports one by one (one bool prompt or override is one error row, not a failed run).
 */
public final class ColumnKinds {

  private ColumnKinds() {}

  /** Folds one JSON row's values into {@code kinds} (insertion order = first appearance). */
  static void observe(LinkedHashMap<String, ColumnKind> kinds, Map<String, Object> values) {
    for (var e : values.entrySet()) {
      ColumnKind k = kindOf(e.getValue());
      if (!kinds.containsKey(e.getKey())) kinds.put(e.getKey(), k);
      else kinds.put(e.getKey(), widen(kinds.get(e.getKey()), k));
    }
  }

  /**
   * The input's kinds from its files' summaries, in file order.
   *
   * @throws IllegalArgumentException naming the file when CSV files disagree on their header, or when no
   *     file holds a row
   */
  public static Map<String, ColumnKind> merge(String root, List<FileSummary> files) {
    LinkedHashMap<String, ColumnKind> kinds = new LinkedHashMap<>();
    List<String> header = null;
    String headerFile = null;
    long records = 0;
    for (FileSummary f : files) {
      records += f.records();
      if (f.header() != null) {
        if (header == null) {
          header = f.header();
          headerFile = f.name();
        } else if (!header.equals(f.header())) {
          throw new IllegalArgumentException("input " + f.name() + " has the CSV header " + f.header() + ", but "
              + headerFile + " has " + header + "; all files of an input need the same columns");
        }
      }
      for (var e : f.kinds().entrySet()) {
        if (!kinds.containsKey(e.getKey())) kinds.put(e.getKey(), e.getValue());
        else kinds.put(e.getKey(), widen(kinds.get(e.getKey()), e.getValue()));
      }
    }
    if (records == 0) {
      throw InputFiles.noRows(root, files.size());
    }
    Map<String, ColumnKind> out = new LinkedHashMap<>();
    kinds.forEach((k, v) -> out.put(k, v == null ? ColumnKind.STRING : v));
    return out;
  }

  static ColumnKind kindOf(Object v) {
    if (v == null) return null;
    if (v instanceof String) return ColumnKind.STRING;
    if (v instanceof Number) return ColumnKind.NUMBER;
    if (v instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(x -> x instanceof Map<?, ?>)) {
      return ColumnKind.MESSAGES;
    }
    return null; // a boolean, an object, another array: the row's problem, not the column's
  }

  /** Null (no value yet) yields to anything; two different kinds make a STRING column. */
  static ColumnKind widen(ColumnKind a, ColumnKind b) {
    if (a == null) return b;
    if (b == null || a == b) return a;
    return ColumnKind.STRING;
  }
}
