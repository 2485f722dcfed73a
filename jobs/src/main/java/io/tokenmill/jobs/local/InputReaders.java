package io.tokenmill.jobs.local;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.tokenmill.udfs.rows.ColumnKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

/**
 * The local runner's readers: Parquet through Arrow's dataset JNI, JSON Lines and CSV (RFC 4180: quoted
 * fields may hold commas, quotes and newlines; numbers are inferred per column as Spark's inferSchema does)
 * in Java. A file or a directory of such files.
 */
final class InputReaders {

  private InputReaders() {}

  static InputTable read(String path, String format, int limit, BufferAllocator allocator) throws IOException {
    List<Path> files = files(Path.of(path), format);
    InputTable t = switch (format) {
      case "parquet" -> parquet(files, allocator);
      case "jsonl" -> jsonl(files);
      case "csv" -> csv(files);
      default -> throw new IllegalArgumentException("input.format " + format + " is not supported by the local runner");
    };
    if (limit > 0 && t.rows().size() > limit) return new InputTable(t.kinds(), t.rows().subList(0, limit));
    return t;
  }

  private static List<Path> files(Path p, String format) throws IOException {
    if (Files.isRegularFile(p)) return List.of(p);
    if (!Files.isDirectory(p)) throw new IllegalArgumentException("input.path " + p + " does not exist");
    try (Stream<Path> s = Files.walk(p)) {
      List<Path> out = s.filter(Files::isRegularFile)
          .filter(f -> !f.getFileName().toString().startsWith("_") && !f.getFileName().toString().startsWith("."))
          .sorted().toList();
      if (out.isEmpty()) throw new IllegalArgumentException("input.path " + p + " holds no " + format + " files");
      return out;
    }
  }

  // --- Parquet -------------------------------------------------------------------------------------------

  private static InputTable parquet(List<Path> files, BufferAllocator allocator) throws IOException {
    @SuppressWarnings("unchecked")
    Map<String, ColumnKind>[] kinds = new Map[1];
    List<InputTable.Row> rows = new ArrayList<>();
    for (Path f : files) {
      ParquetScan.scan(f, allocator, new ParquetScan.Batches() {
        @Override
        public void schema(VectorSchemaRoot root) {
          Map<String, ColumnKind> k = kinds(root.getSchema());
          if (kinds[0] == null) kinds[0] = k;
          else if (!kinds[0].equals(k)) {
            throw new IllegalArgumentException("input " + f + " has columns " + k + ", other files " + kinds[0]);
          }
        }

        @Override
        public void batch(VectorSchemaRoot root) {
          for (int i = 0; i < root.getRowCount(); i++) {
            Map<String, Object> values = new HashMap<>();
            for (FieldVector v : root.getFieldVectors()) values.put(v.getName(), plain(v.getObject(i)));
            rows.add(new InputTable.Row(values, null));
          }
        }
      });
    }
    return new InputTable(kinds[0], rows);
  }

  private static Map<String, ColumnKind> kinds(Schema schema) {
    Map<String, ColumnKind> m = new LinkedHashMap<>();
    for (Field f : schema.getFields()) m.put(f.getName(), kind(f));
    return m;
  }

  private static ColumnKind kind(Field f) {
    ArrowType t = f.getType();
    if (t instanceof ArrowType.Utf8 || t instanceof ArrowType.LargeUtf8) return ColumnKind.STRING;
    if (t instanceof ArrowType.Int || t instanceof ArrowType.FloatingPoint || t instanceof ArrowType.Decimal) {
      return ColumnKind.NUMBER;
    }
    if ((t instanceof ArrowType.List || t instanceof ArrowType.LargeList) && f.getChildren().size() == 1) {
      Field item = f.getChildren().get(0);
      if (item.getType() instanceof ArrowType.Struct) {
        List<String> names = item.getChildren().stream().map(Field::getName).toList();
        if (names.contains("role") && names.contains("content")) return ColumnKind.MESSAGES;
      }
    }
    return ColumnKind.OTHER;
  }

  /** Arrow's Java objects → plain ones (Text → String, nested lists/maps converted). */
  private static Object plain(Object o) {
    if (o == null) return null;
    if (o instanceof Text t) return t.toString();
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object x : l) out.add(plain(x));
      return out;
    }
    if (o instanceof Map<?, ?> m) {
      Map<String, Object> out = new HashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
      return out;
    }
    return o;
  }

  // --- JSON Lines ----------------------------------------------------------------------------------------

  private static InputTable jsonl(List<Path> files) throws IOException {
    List<InputTable.Row> rows = new ArrayList<>();
    Map<String, ColumnKind> kinds = new LinkedHashMap<>();
    for (Path f : files) {
      try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        String line;
        int lineNo = 0;
        while ((line = r.readLine()) != null) {
          lineNo++;
          if (line.isBlank()) continue;
          JsonElement e;
          try {
            e = JsonParser.parseString(line);
          } catch (RuntimeException ex) {
            e = null;
          }
          if (e == null || !e.isJsonObject()) {
            rows.add(new InputTable.Row(Map.of(), f.getFileName() + " line " + lineNo + " is not a JSON object"));
            continue;
          }
          Map<String, Object> values = new HashMap<>();
          for (var entry : e.getAsJsonObject().entrySet()) {
            Object v = json(entry.getValue());
            values.put(entry.getKey(), v);
            ColumnKind k = kindOf(v);
            if (k == null) kinds.putIfAbsent(entry.getKey(), null);
            else kinds.merge(entry.getKey(), k, InputReaders::widen); // merge treats a null old value as absent
          }
          rows.add(new InputTable.Row(values, null));
        }
      }
    }
    kinds.replaceAll((k, v) -> v == null ? ColumnKind.STRING : v);
    return new InputTable(kinds, rows);
  }

  private static Object json(JsonElement e) {
    if (e == null || e.isJsonNull()) return null;
    if (e.isJsonPrimitive()) {
      JsonPrimitive p = e.getAsJsonPrimitive();
      if (p.isNumber()) {
        double d = p.getAsDouble();
        return d == Math.rint(d) && Math.abs(d) < 9e15 && !p.getAsString().contains(".") ? (Object) p.getAsLong() : d;
      }
      if (p.isBoolean()) return p.getAsBoolean();
      return p.getAsString();
    }
    if (e.isJsonArray()) {
      List<Object> out = new ArrayList<>();
      for (JsonElement x : (JsonArray) e) out.add(json(x));
      return out;
    }
    Map<String, Object> m = new HashMap<>();
    for (var entry : ((JsonObject) e).entrySet()) m.put(entry.getKey(), json(entry.getValue()));
    return m;
  }

  private static ColumnKind kindOf(Object v) {
    if (v == null) return null;
    if (v instanceof String) return ColumnKind.STRING;
    if (v instanceof Number) return ColumnKind.NUMBER;
    if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof Map<?, ?> m && m.containsKey("role"))) {
      return ColumnKind.MESSAGES;
    }
    return ColumnKind.OTHER;
  }

  /** Two rows disagree on a column's kind: strings absorb numbers (Spark does the same), else OTHER. */
  private static ColumnKind widen(ColumnKind a, ColumnKind b) {
    if (a == null) return b;
    if (b == null || a == b) return a;
    if ((a == ColumnKind.STRING && b == ColumnKind.NUMBER) || (a == ColumnKind.NUMBER && b == ColumnKind.STRING)) {
      return ColumnKind.STRING;
    }
    return ColumnKind.OTHER;
  }

  // --- CSV -----------------------------------------------------------------------------------------------

  private static InputTable csv(List<Path> files) throws IOException {
    List<String> header = null;
    List<List<String>> records = new ArrayList<>();
    for (Path f : files) {
      try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        List<List<String>> recs = CsvParser.parse(r, f.getFileName().toString());
        if (recs.isEmpty()) continue;
        if (header == null) header = recs.get(0);
        else if (!header.equals(recs.get(0))) {
          throw new IllegalArgumentException("input " + f + " has header " + recs.get(0) + ", other files " + header);
        }
        records.addAll(recs.subList(1, recs.size()));
      }
    }
    if (header == null) throw new IllegalArgumentException("CSV input has no header line");
    Map<String, ColumnKind> kinds = new LinkedHashMap<>();
    for (int c = 0; c < header.size(); c++) {
      boolean numeric = true;
      boolean any = false;
      for (List<String> rec : records) {
        String v = c < rec.size() ? rec.get(c) : null;
        if (v == null || v.isEmpty()) continue;
        any = true;
        try {
          Double.parseDouble(v);
        } catch (NumberFormatException e) {
          numeric = false;
          break;
        }
      }
      kinds.put(header.get(c), numeric && any ? ColumnKind.NUMBER : ColumnKind.STRING);
    }
    List<InputTable.Row> rows = new ArrayList<>();
    for (List<String> rec : records) {
      Map<String, Object> values = new HashMap<>();
      for (int c = 0; c < header.size(); c++) {
        String v = c < rec.size() ? rec.get(c) : null;
        if (v != null && v.isEmpty()) v = null; // Spark reads an empty CSV field as null
        Object value = v;
        if (v != null && kinds.get(header.get(c)) == ColumnKind.NUMBER) {
          double d = Double.parseDouble(v);
          value = v.contains(".") || v.contains("e") || v.contains("E") ? (Object) d : (Object) (long) d;
        }
        values.put(header.get(c), value);
      }
      String err = rec.size() != header.size()
          ? "CSV record has " + rec.size() + " fields, the header has " + header.size() : null;
      rows.add(new InputTable.Row(values, err));
    }
    return new InputTable(kinds, rows);
  }
}
