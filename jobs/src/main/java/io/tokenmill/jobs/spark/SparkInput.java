package io.tokenmill.jobs.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.udfs.input.ColumnKinds;
import io.tokenmill.udfs.input.FileRead;
import io.tokenmill.udfs.input.FileSummary;
import io.tokenmill.udfs.input.InputFile;
import io.tokenmill.udfs.input.InputFiles;
import io.tokenmill.udfs.input.InputPositions;
import io.tokenmill.udfs.input.RawRecord;
import io.tokenmill.udfs.input.TextColumnTypes;
import io.tokenmill.udfs.input.TextFileReader;
import io.tokenmill.udfs.rows.ColumnKind;
import io.tokenmill.udfs.rows.InputNormalizer;
import io.tokenmill.udfs.rows.InputSpec;
import io.tokenmill.udfs.rows.KeptColumns;
import io.tokenmill.udfs.rows.PromptRow;
import io.tokenmill.udfs.spark.SparkRows;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The Spark runner's input, read so that it gives the same rows, ids, positions and error messages as the
 * Arrow runner: files are listed on the driver through Hadoop's FileSystem by {@link InputFiles}' rules;
 * JSON Lines and CSV files are read on the executors (a partition per file or few) by the same {@link
 * TextFileReader} the Arrow runner uses; Parquet by Spark's reader over the listed files, positioned by
 * {@code _metadata.row_index}. The result is normalised prompt rows ({@link SparkRows#PROMPTS}).
 *
 * <p>A JSON Lines or CSV file is read whole by one task, so one file must fit an executor's memory; split a
 * huge input into several files.
 */
final class SparkInput {

  /**
   * Normalised prompt rows ({@link SparkRows#promptsWith}{@code (kept)}), the kept input columns' schema, and a
   * way to drop what reading them cached once they are persisted elsewhere.
   */
  record Prompts(Dataset<Row> rows, StructType kept, Runnable release) {}

  /** One file read on an executor: its records, or why the whole file is unusable (an input error, exit 2). */
  record FileOutcome(FileRead read, String fatal) implements Serializable {}

  /** What the driver learns of one read file: its summary (or why it is unusable) and its columns' types. */
  record FileCheck(FileSummary summary, String fatal, TextColumnTypes types) implements Serializable {}

  private SparkInput() {}

  static Prompts read(SparkSession spark, JobSettings s) throws IOException {
    return switch (s.inputFormat()) {
      case "table" -> table(spark, s);
      case "parquet" -> parquet(spark, s);
      case "jsonl", "csv" -> text(spark, s);
      default -> throw new IllegalArgumentException("input.format " + s.inputFormat());
    };
  }

  // --- JSON Lines, CSV: the shared reader on the executors -----------------------------------------------

  private static Prompts text(SparkSession spark, JobSettings s) throws IOException {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    List<InputFile> files = list(s.inputPath(), s.inputFormat(), hadoop);
    HashMap<String, String> conf = new HashMap<>();
    for (Map.Entry<String, String> e : hadoop) conf.put(e.getKey(), e.getValue());
    String format = s.inputFormat();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = Math.min(files.size(), Math.max(1, 4 * jsc.defaultParallelism()));
    JavaRDD<FileOutcome> read = jsc.parallelize(files, slices).map(f -> readFile(f, format, conf))
        .persist(StorageLevel.MEMORY_AND_DISK());
    List<FileSummary> summaries = new ArrayList<>();
    TextColumnTypes types = new TextColumnTypes();
    for (FileCheck o : read.map(o -> o.read() == null ? new FileCheck(null, o.fatal(), null)
        : new FileCheck(o.read().summary(), null, TextColumnTypes.of(o.read().records()))).collect()) {
      if (o.fatal() != null) {
        read.unpersist(false);
        throw new IllegalArgumentException(o.fatal());
      }
      summaries.add(o.summary());
      types = types.merge(o.types());
    }
    summaries.sort(Comparator.comparingInt(FileSummary::file));
    InputNormalizer normalizer;
    KeptColumns kept;
    try {
      Map<String, ColumnKind> kinds = ColumnKinds.merge(s.inputPath(), summaries);
      normalizer = new InputNormalizer(s.inputSpec().check(kinds, s.inputPath()));
      kept = KeptColumns.resolve(s.keepColumns(), List.copyOf(kinds.keySet()), s.inputSpec(), "input " + s.inputPath());
    } catch (IllegalArgumentException e) {
      read.unpersist(false);
      throw e;
    }
    StructType keptSchema = textSchema(kept, types);
    TextColumnTypes.Type[] keptTypes = new TextColumnTypes.Type[kept.size()];
    for (int i = 0; i < keptTypes.length; i++) keptTypes[i] = types.type(kept.names().get(i));
    List<String> keptNames = kept.names();
    long[] offsets = InputPositions.offsets(summaries.stream().map(FileSummary::records).toList());
    long limit = s.inputLimit();
    JavaRDD<Row> rows = read.flatMap(o -> o.read().records().iterator())
        .filter(r -> limit == 0 || offsets[r.file()] + r.index() < limit)
        .map(r -> {
          Row p = SparkRows.toRow(InputPositions.prompt(normalizer, r, offsets));
          if (keptNames.isEmpty()) return p;
          Object[] v = new Object[keptNames.size()];
          for (int i = 0; i < v.length; i++) v[i] = TextColumnTypes.convert(r.values().get(keptNames.get(i)), keptTypes[i]);
          return SparkRows.withKept(p, v);
        });
    return new Prompts(spark.createDataFrame(rows, SparkRows.promptsWith(keptSchema)), keptSchema,
        () -> read.unpersist(false));
  }

  /** The Spark schema of kept text columns: {@link TextColumnTypes}' type of each, nullable. */
  private static StructType textSchema(KeptColumns kept, TextColumnTypes types) {
    List<StructField> fields = new ArrayList<>();
    for (String n : kept.names()) {
      DataType t = switch (types.type(n)) {
        case LONG -> DataTypes.LongType;
        case BOOLEAN -> DataTypes.BooleanType;
        case STRING -> DataTypes.StringType;
      };
      fields.add(DataTypes.createStructField(n, t, true));
    }
    return DataTypes.createStructType(fields);
  }

  private static FileOutcome readFile(InputFile f, String format, Map<String, String> conf) {
    Configuration c = new Configuration(false);
    conf.forEach(c::set);
    Path p = new Path(f.path());
    InputStream in;
    try {
      in = p.getFileSystem(c).open(p);
    } catch (IOException e) {
      return new FileOutcome(null, "input " + f.name() + " cannot be read: " + e);
    }
    try (in) {
      return new FileOutcome(TextFileReader.read(f, in, format), null);
    } catch (IllegalArgumentException e) {
      return new FileOutcome(null, e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // only close() can get here
    }
  }

  /** The input's files by {@link InputFiles}' rules, listed through Hadoop's FileSystem on the driver. */
  static List<InputFile> list(String root, String format, Configuration conf) throws IOException {
    Path p = new Path(root);
    FileSystem fs = p.getFileSystem(conf);
    FileStatus st;
    try {
      st = fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("input.path " + root + " does not exist");
    }
    List<String[]> found = new ArrayList<>();
    if (!st.isDirectory()) {
      found.add(new String[] {st.getPath().toString(), st.getPath().getName()});
      return InputFiles.ordered(root, format, false, found);
    }
    walk(fs, st.getPath(), "", found);
    return InputFiles.ordered(root, format, true, found);
  }

  private static void walk(FileSystem fs, Path dir, String prefix, List<String[]> found) throws IOException {
    for (FileStatus c : fs.listStatus(dir)) {
      String name = c.getPath().getName();
      if (InputFiles.skipped(name)) continue;
      if (c.isDirectory()) walk(fs, c.getPath(), prefix + name + "/", found);
      else found.add(new String[] {c.getPath().toString(), prefix + name});
    }
  }

  // --- Parquet: Spark's reader over the listed files -----------------------------------------------------

  private static Prompts parquet(SparkSession spark, JobSettings s) throws IOException {
    List<InputFile> files = list(s.inputPath(), "parquet", spark.sparkContext().hadoopConfiguration());
    Dataset<Row> df = spark.read().parquet(files.stream().map(InputFile::path).toArray(String[]::new));
    InputNormalizer normalizer = new InputNormalizer(s.inputSpec().check(SparkRows.kinds(df.schema()),
        s.inputPath()));
    String[] names = df.schema().fieldNames();
    KeptColumns kept = KeptColumns.resolve(s.keepColumns(), List.of(names), s.inputSpec(), "input " + s.inputPath());
    StructType keptSchema = SparkRows.select(df.schema(), kept.names());
    int[] keptAt = indices(names, kept);
    String fileCol = unique("__tokenmill_file", names);
    String rowCol = unique("__tokenmill_row", names);
    Dataset<Row> located = df.select(col("*"), col("_metadata.file_path").as(fileCol),
        col("_metadata.row_index").as(rowCol));
    HashMap<String, Integer> fileIndex = new HashMap<>();
    for (InputFile f : files) fileIndex.put(key(f.path()), f.index());
    long[] counts = new long[files.size()];
    for (Row r : located.groupBy(fileCol).count().collectAsList()) {
      counts[fileIndex.get(key(r.getString(0)))] = r.getLong(1);
    }
    List<Long> perFile = new ArrayList<>();
    for (long c : counts) perFile.add(c);
    if (perFile.stream().mapToLong(Long::longValue).sum() == 0) throw InputFiles.noRows(s.inputPath(), files.size());
    long[] offsets = InputPositions.offsets(perFile);
    List<String> fileNames = files.stream().map(InputFile::name).toList();
    long limit = s.inputLimit();
    int fileAt = names.length;
    int rowAt = names.length + 1;
    Dataset<Row> prompts = located.map((MapFunction<Row, Row>) r -> {
      int file = fileIndex.get(key(r.getString(fileAt)));
      long index = r.getLong(rowAt);
      PromptRow p = normalizer.normalize(c -> {
        int i = indexOf(names, c);
        return i < 0 ? null : SparkRows.value(r, i);
      }, offsets[file] + index, fileNames.get(file) + " row " + (index + 1));
      return SparkRows.toRow(p, r, keptAt);
    }, Encoders.row(SparkRows.promptsWith(keptSchema)));
    if (limit > 0) prompts = prompts.filter(col("position").lt(limit));
    return new Prompts(prompts, keptSchema, () -> { });
  }

  /** A file's path as the map key: the URI's path, so {@code file:/x} and {@code file:///x} agree. */
  private static String key(String path) {
    try {
      return new Path(new URI(path)).toUri().getPath();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return new Path(path).toUri().getPath();
    }
  }

  // --- Spark tables ------------------------------------------------------------------------------------------

  private static Prompts table(SparkSession spark, JobSettings s) {
    Dataset<Row> df = spark.table(s.inputTable());
    if (s.inputLimit() > 0) df = df.limit(s.inputLimit());
    return dataFrame(df, s.inputSpec(), s.keepColumns(), "table " + s.inputTable());
  }

  /**
   * Any DataFrame's rows as prompt rows (a Spark table, the DataFrame API's input), its kept columns as they
   * are; positions from {@code monotonically_increasing_id} (unique, not consecutive). {@code source} names the
   * input in messages.
   */
  static Prompts dataFrame(Dataset<Row> df, InputSpec spec, KeptColumns.Setting keep, String source) {
    InputSpec.Resolved columns = spec.check(SparkRows.kinds(df.schema()), source);
    InputNormalizer normalizer = new InputNormalizer(columns);
    String[] names = df.schema().fieldNames();
    KeptColumns kept = KeptColumns.resolve(keep, List.of(names), spec, source);
    StructType keptSchema = SparkRows.select(df.schema(), kept.names());
    int[] keptAt = indices(names, kept);
    int posAt = names.length;
    Dataset<Row> prompts = df.withColumn(unique("__tokenmill_pos", names), monotonically_increasing_id())
        .map((MapFunction<Row, Row>) r -> SparkRows.toRow(normalizer.normalize(c -> {
          int i = indexOf(names, c);
          return i < 0 ? null : SparkRows.value(r, i);
        }, r.getLong(posAt)), r, keptAt), Encoders.row(SparkRows.promptsWith(keptSchema)));
    return new Prompts(prompts, keptSchema, () -> { });
  }

  /** Where the kept columns sit among {@code names}. */
  static int[] indices(String[] names, KeptColumns kept) {
    return kept.names().stream().mapToInt(n -> indexOf(names, n)).toArray();
  }

  /** {@code base}, or {@code base_2}, ... : a column name the input does not already use. */
  private static String unique(String base, String[] names) {
    String n = base;
    for (int i = 2; indexOf(names, n) >= 0; i++) n = base + "_" + i;
    return n;
  }

  private static int indexOf(String[] names, String c) {
    for (int i = 0; i < names.length; i++) if (names[i].equals(c)) return i;
    return -1;
  }
}
