package io.tokenmill.jobs.local;

import io.tokenmill.udfs.rows.OutputSchema;
import io.tokenmill.udfs.rows.ResultRow;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.dataset.file.DatasetFileWriter;
import org.apache.arrow.dataset.file.FileFormat;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

/**
 * Result rows to and from Parquet through Arrow's dataset JNI (the native Parquet writer Arrow bundles),
 * with the schema of {@link OutputSchema} — the same columns and types the Spark runner writes — led by the
 * input columns {@code output.keep_columns} keeps ({@link KeptValues}).
 */
public final class ArrowParquet {

  static final Schema OUTPUT = outputSchema();

  private ArrowParquet() {}

  private static Schema outputSchema() {
    List<Field> fields = new ArrayList<>();
    for (OutputSchema.Column c : OutputSchema.COLUMNS) {
      ArrowType t = switch (c.type()) {
        case STRING -> ArrowType.Utf8.INSTANCE;
        case INT -> new ArrowType.Int(32, true);
        case LONG -> new ArrowType.Int(64, true);
        case BOOLEAN -> ArrowType.Bool.INSTANCE;
        case INT_ARRAY, FLOAT_ARRAY -> ArrowType.List.INSTANCE;
      };
      List<Field> children = switch (c.type()) { // element types and nullability as Spark writes them
        case INT_ARRAY -> List.of(new Field("element", FieldType.notNullable(new ArrowType.Int(32, true)), null));
        case FLOAT_ARRAY -> List.of(new Field("element",
            FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null));
        default -> null;
      };
      fields.add(new Field(c.name(), c.nullable() ? FieldType.nullable(t) : FieldType.notNullable(t), children));
    }
    return new Schema(fields);
  }

  /** Writes {@code rows} as Parquet file(s) into the (new) directory {@code dir}. */
  static void write(List<ResultRow> rows, Path dir, BufferAllocator allocator) throws IOException {
    write(rows, null, null, dir, allocator);
  }

  /**
   * Writes {@code rows} into the (new) directory {@code dir}, each row led by the {@code kept} input columns of
   * the input row at {@code positions[i]} (none when {@code kept} is null).
   */
  static void write(List<ResultRow> rows, long[] positions, KeptValues kept, Path dir, BufferAllocator allocator)
      throws IOException {
    Files.createDirectories(dir.getParent());
    List<Field> fields = new ArrayList<>(kept == null ? List.of() : kept.fields());
    int first = fields.size();
    fields.addAll(OUTPUT.getFields());
    byte[] ipc;
    try (VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(fields), allocator)) {
      root.allocateNew();
      List<FieldVector> keptVectors = root.getFieldVectors().subList(0, first);
      for (int i = 0; i < rows.size(); i++) {
        if (first > 0) kept.copy(positions[i], i, keptVectors);
        Object[] v = rows.get(i).values();
        for (int c = 0; c < v.length; c++) set(root.getVector(first + c), i, v[c]);
      }
      root.setRowCount(rows.size());
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ArrowStreamWriter w = new ArrowStreamWriter(root, null, bytes)) {
        w.start();
        w.writeBatch();
        w.end();
      }
      ipc = bytes.toByteArray();
    }
    try (ArrowReader reader = new ArrowStreamReader(new ByteArrayInputStream(ipc), allocator)) {
      DatasetFileWriter.write(allocator, reader, FileFormat.PARQUET, dir.toUri().toString(), new String[0], 1024,
          "part-{i}.parquet");
    }
  }

  private static void set(FieldVector vector, int i, Object value) {
    if (value == null) {
      vector.setNull(i);
      return;
    }
    if (vector instanceof VarCharVector v) v.setSafe(i, ((String) value).getBytes(StandardCharsets.UTF_8));
    else if (vector instanceof IntVector v) v.setSafe(i, ((Number) value).intValue());
    else if (vector instanceof BigIntVector v) v.setSafe(i, ((Number) value).longValue());
    else if (vector instanceof BitVector v) v.setSafe(i, ((Boolean) value) ? 1 : 0);
    else if (vector instanceof ListVector v) setList(v, i, (List<?>) value);
    else throw new IllegalStateException("unexpected vector " + vector);
  }

  /** One list value: its elements into the child vector (nulls kept), then the list's extent. */
  private static void setList(ListVector v, int i, List<?> values) {
    int start = v.startNewValue(i);
    FieldVector data = v.getDataVector();
    for (int j = 0; j < values.size(); j++) {
      Object e = values.get(j);
      if (e == null) data.setNull(start + j);
      else if (data instanceof Float4Vector f) f.setSafe(start + j, ((Number) e).floatValue());
      else ((IntVector) data).setSafe(start + j, ((Number) e).intValue());
    }
    v.endValue(i, values.size());
  }

  /** Every result row under {@code dir} (all Parquet files, recursively), in no particular order. */
  public static List<ResultRow> readAll(Path dir, BufferAllocator allocator) throws IOException {
    List<ResultRow> out = new ArrayList<>();
    forEach(dir, allocator, out::add);
    return out;
  }

  /**
   * Streams every result row under {@code dir} to {@code sink}, one Parquet batch in memory at a time: for
   * passes over a whole output (resume keys, totals), which must not hold every row's text at once.
   */
  public static void forEach(Path dir, BufferAllocator allocator, java.util.function.Consumer<ResultRow> sink)
      throws IOException {
    if (!Files.isDirectory(dir)) return;
    List<Path> files;
    try (var s = Files.walk(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
    for (Path f : files) {
      ParquetScan.scan(f, allocator, new ParquetScan.Batches() {
        final List<FieldVector> vectors = new ArrayList<>();

        @Override
        public void schema(VectorSchemaRoot root) throws IOException {
          for (OutputSchema.Column c : OutputSchema.COLUMNS) {
            FieldVector v = root.getVector(c.name());
            if (v == null && OutputSchema.ADDED_LATER.contains(c.name())) { // an older output: read as null
              vectors.add(null);
              continue;
            }
            if (v == null) throw new IOException(f + " has no column " + c.name() + " (not a Tokenmill output?)");
            vectors.add(v);
          }
        }

        @Override
        public void batch(VectorSchemaRoot root) {
          for (int i = 0; i < root.getRowCount(); i++) {
            Object[] values = new Object[vectors.size()];
            for (int c = 0; c < values.length; c++) {
              Object o = vectors.get(c) == null ? null : vectors.get(c).getObject(i);
              values[c] = o instanceof Text t ? t.toString() : o;
            }
            sink.accept(ResultRow.fromValues(values));
          }
        }
      });
    }
  }

}
