package io.tokenmill.jobs.local;

import io.tokenmill.udfs.input.ColumnKinds;
import io.tokenmill.udfs.input.FileRead;
import io.tokenmill.udfs.input.FileSummary;
import io.tokenmill.udfs.input.InputFile;
import io.tokenmill.udfs.input.InputFiles;
import io.tokenmill.udfs.input.InputPositions;
import io.tokenmill.udfs.input.RawRecord;
import io.tokenmill.udfs.input.TextFileReader;
import io.tokenmill.udfs.rows.ColumnKind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The local runner's readers: JSON Lines and CSV through the shared {@link TextFileReader} (the Spark runner
 * reads them with the same code on its executors), Parquet through Arrow's dataset JNI. A file or a directory,
 * listed by {@link InputFiles}' rules (recursive, {@code _}/{@code .} names skipped, sorted).
 */
final class InputReaders {

  private InputReaders() {}

  static InputTable read(String path, String format, BufferAllocator allocator) throws IOException {
    List<InputFile> files = files(path, format);
    return switch (format) {
      case "parquet" -> parquet(path, files, allocator);
      case "jsonl", "csv" -> text(path, files, format);
      default -> throw new IllegalArgumentException("input.format " + format + " is not supported by the local runner");
    };
  }

  private static List<InputFile> files(String path, String format) throws IOException {
    Path p = path.startsWith("file:") ? Path.of(URI.create(path)) : Path.of(path);
    if (Files.isRegularFile(p)) {
      return InputFiles.ordered(path, format, false, List.<String[]>of(new String[] {p.toString(),
          p.getFileName().toString()}));
    }
    if (!Files.isDirectory(p)) throw new IllegalArgumentException("input.path " + path + " does not exist");
    List<String[]> found = new ArrayList<>();
    Files.walkFileTree(p, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        return !dir.equals(p) && InputFiles.skipped(dir.getFileName().toString())
            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
        if (!InputFiles.skipped(f.getFileName().toString())) {
          StringBuilder rel = new StringBuilder();
          for (Path part : p.relativize(f)) rel.append(rel.length() == 0 ? "" : "/").append(part);
          found.add(new String[] {f.toString(), rel.toString()});
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return InputFiles.ordered(path, format, true, found);
  }

  private static InputTable text(String root, List<InputFile> files, String format) throws IOException {
    List<RawRecord> records = new ArrayList<>();
    List<FileSummary> summaries = new ArrayList<>();
    for (InputFile f : files) {
      InputStream in;
      try {
        in = Files.newInputStream(Path.of(f.path()));
      } catch (IOException e) {
        throw new IllegalArgumentException("input " + f.name() + " cannot be read: " + e);
      }
      try (in) {
        FileRead read = TextFileReader.read(f, in, format);
        summaries.add(read.summary());
        records.addAll(read.records());
      }
    }
    Map<String, ColumnKind> kinds = ColumnKinds.merge(root, summaries);
    return new InputTable(kinds, records, InputPositions.offsets(summaries.stream().map(FileSummary::records).toList()),
        null);
  }

  // --- Parquet -------------------------------------------------------------------------------------------

  private static InputTable parquet(String root, List<InputFile> files, BufferAllocator allocator) throws IOException {
    @SuppressWarnings("unchecked")
    Map<String, ColumnKind>[] kinds = new Map[1];
    String[] kindsFile = new String[1];
    List<RawRecord> rows = new ArrayList<>();
    List<Long> counts = new ArrayList<>();
    TreeMap<Long, VectorSchemaRoot> batches = new TreeMap<>();
    Schema[] schema = new Schema[1];
    try {
      for (InputFile f : files) {
        long[] index = {0};
        ParquetScan.scan(Path.of(f.path()), allocator, new ParquetScan.Batches() {
          @Override
          public void schema(VectorSchemaRoot root) {
            Map<String, ColumnKind> k = kinds(root.getSchema());
            if (kinds[0] == null) {
              kinds[0] = k;
              schema[0] = root.getSchema();
              kindsFile[0] = f.name();
            } else if (!kinds[0].equals(k)) {
              throw new IllegalArgumentException("input " + f.name() + " has columns " + k + ", but " + kindsFile[0]
                  + " has " + kinds[0]);
            }
          }

          @Override
          public void batch(VectorSchemaRoot root) {
            long first = rows.size();
            for (int i = 0; i < root.getRowCount(); i++) {
              Map<String, Object> values = new HashMap<>();
              for (FieldVector v : root.getFieldVectors()) values.put(v.getName(), plain(v.getObject(i)));
              rows.add(new RawRecord(f.index(), index[0], f.name() + " row " + (index[0] + 1), values, null));
              index[0]++;
            }
            if (root.getRowCount() > 0) batches.put(first, retain(root, allocator)); // for passed-through columns
          }
        });
        counts.add(index[0]);
      }
    } catch (IOException | RuntimeException e) {
      batches.values().forEach(VectorSchemaRoot::close);
      throw e;
    }
    if (rows.isEmpty()) throw InputFiles.noRows(root, files.size());
    return new InputTable(kinds[0], rows, InputPositions.offsets(counts),
        new InputTable.ParquetBatches(schema[0], batches));
  }

  /** The batch's vectors moved out of the scanner's reused root into a root of their own. */
  private static VectorSchemaRoot retain(VectorSchemaRoot root, BufferAllocator allocator) {
    List<FieldVector> moved = new ArrayList<>();
    for (FieldVector v : root.getFieldVectors()) {
      TransferPair t = v.getTransferPair(allocator);
      t.transfer();
      moved.add((FieldVector) t.getTo());
    }
    return new VectorSchemaRoot(root.getSchema().getFields(), moved, root.getRowCount());
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
}
