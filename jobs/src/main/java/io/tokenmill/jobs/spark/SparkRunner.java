package io.tokenmill.jobs.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.pmod;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.jobs.run.ExampleRows;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.OutputLayout;
import io.tokenmill.jobs.run.ProgressLine;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.run.RunTotals;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.InputNormalizer;
import io.tokenmill.udfs.rows.InputSpec;
import io.tokenmill.udfs.rows.PromptRow;
import io.tokenmill.udfs.rows.ResultRow;
import io.tokenmill.udfs.spark.InferencePartition;
import io.tokenmill.udfs.spark.SparkRows;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The Spark runner: driver-side checks, resume filter, waves of {@code mapPartitions(InferencePartition)}
 * committed one by one, then the summary. Works with whatever master spark-submit or the environment set;
 * with none, {@code spark.master} from the config (default {@code local[*]}).
 */
public final class SparkRunner {

  private SparkRunner() {}

  public static RunSummary run(JobSettings s) throws IOException {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    // Driver-side checks before Spark starts or any data is read: the model dir as a whole.
    say(s, "validating model " + s.modelPath());
    ModelDir.validate(java.nio.file.Path.of(s.modelPath()));
    say(s, "starting Spark");
    SparkSession spark = session(s);
    String master = spark.sparkContext().master();
    say(s, "Spark " + spark.version() + " on " + master + "; reading " + source(s));
    HadoopOutputStore store = new HadoopOutputStore(s.outputPath(), spark.sparkContext().hadoopConfiguration());
    store.lock(s); // refuses an output that is not Tokenmill's, overlaps the input or is held by another run
    try {
      return run(s, spark, store, master, started, t0);
    } catch (Exception e) { // Scala code throws checked SparkExceptions undeclared; the rethrow stays precise
      store.rethrowWriteFailure(e); // a full disk, explained
      throw e;
    } finally {
      store.release();
    }
  }

  private static RunSummary run(JobSettings s, SparkSession spark, HadoopOutputStore store, String master,
      Instant started, long t0) throws IOException {
    Dataset<Row> raw = read(spark, s);
    InputSpec.Resolved columns = s.inputSpec().check(SparkRows.kinds(raw.schema()), source(s));
    InputNormalizer normalizer = new InputNormalizer(columns);
    String[] names = raw.schema().fieldNames();
    int corrupt = indexOf(names, "_corrupt_record"); // Spark's JSON/CSV reader puts unparsable lines here
    Dataset<Row> prompts = raw.withColumn("__tokenmill_pos", monotonically_increasing_id())
        .map((MapFunction<Row, Row>) r -> {
          long pos = r.getLong(r.length() - 1);
          PromptRow p = normalizer.normalize(c -> {
            int i = indexOf(names, c);
            return i < 0 ? null : SparkRows.value(r, i);
          }, pos);
          if (corrupt >= 0 && !r.isNullAt(corrupt)) {
            String line = r.getString(corrupt);
            p = p.withError("input row " + pos + " could not be parsed: "
                + (line.length() > 80 ? line.substring(0, 80) + "…" : line));
          }
          return SparkRows.toRow(p);
        }, Encoders.row(SparkRows.PROMPTS))
        .persist(StorageLevel.MEMORY_AND_DISK());
    long inputPrompts = prompts.count();
    say(s, "read " + inputPrompts + " prompts; checking ids and committed output");

    Map<String, Long> duplicates = new HashMap<>();
    for (Row r : prompts.groupBy("id").agg(count(lit(1)).as("c"), min("position").as("p"))
        .filter(col("c").gt(1)).collectAsList()) {
      duplicates.put(r.getString(0), r.getLong(2));
    }
    RunContext ctx = s.context().withDuplicates(duplicates);

    store.prepare(s.outputMode());
    Dataset<Row> pending = prompts;
    long resumed = 0;
    if (store.hasCommittedRows()) {
      Dataset<Row> committed = spark.read().parquet(store.rowsDir()).select("id").distinct();
      pending = prompts.join(committed, prompts.col("id").equalTo(committed.col("id")), "left_anti");
    }
    if (pending != prompts) pending = pending.persist(StorageLevel.MEMORY_AND_DISK());
    long pendingPrompts = pending.count();
    resumed = inputPrompts - pendingPrompts;
    int waves = s.wavesFor(pendingPrompts);
    int partitions = s.partitions() > 0 ? s.partitions() : spark.sparkContext().defaultParallelism();
    say(s, String.format("%,d prompts, %,d already in %s, %,d to generate in %d wave(s) of %d partition(s)",
        inputPrompts, inputPrompts - pendingPrompts, s.outputPath(), pendingPrompts, waves, partitions));

    LongAccumulator rowsDone = spark.sparkContext().longAccumulator("tokenmill.rows");
    LongAccumulator tokens = spark.sparkContext().longAccumulator("tokenmill.output_tokens");
    CollectionAccumulator<EngineReport> reports = spark.sparkContext().collectionAccumulator("tokenmill.engines");
    LiveProgress liveRows = new LiveProgress(rowsDone);
    LiveProgress liveTokens = new LiveProgress(tokens);
    spark.sparkContext().addSparkListener(liveRows);
    spark.sparkContext().addSparkListener(liveTokens);
    InferencePartition fn = new InferencePartition(ctx, new InferencePartition.Counters(rowsDone, tokens, reports),
        s.fault());

    long expectedRows = pendingPrompts * ctx.generation().n();
    int committedWaves = 0;
    boolean stopped = false;
    try (ProgressLine progress = new ProgressLine(System.err, expectedRows, liveRows::value, liveTokens::value,
        s.progressIntervalSeconds(), s.progress())) {
      for (int w = 0; w < waves && pendingPrompts > 0; w++) {
        progress.stage("wave " + (w + 1) + "/" + waves);
        String waveDir = OutputLayout.waveDirName(s.runId(), w);
        Dataset<Row> wave = pending.filter(pmod(col("bucket"), lit(waves)).equalTo(w));
        spark.sparkContext().setJobGroup("tokenmill-" + s.runId(), "tokenmill wave " + (w + 1) + "/" + waves, true);
        wave.repartition(partitions)
            .mapPartitions(PausingPartition.wrap(fn, s.testPause(), "wave_running:" + (w + 1)),
                Encoders.row(SparkRows.OUTPUT))
            .write().mode(SaveMode.Overwrite).parquet(store.stagingDir(waveDir));
        store.commit(waveDir);
        committedWaves++;
        if (s.stopAfterWaves() > 0 && committedWaves >= s.stopAfterWaves() && w + 1 < waves) {
          stopped = true;
          break;
        }
      }
    }

    say(s, "waves done; summarising " + store.rowsDir());
    RunTotals totals = totals(spark, store, s.runId());
    List<EngineReport> engineReports = new ArrayList<>(reports.value());
    RunSummary summary = new RunSummary(s, totals, inputPrompts, resumed, waves, committedWaves,
        (System.nanoTime() - t0) / 1e9, engineReports, started, master, stopped);
    store.writeSummary(summary.toJsonString());
    try {
      summary.withExamples(examples(spark, store, totals, s.examples()));
    } catch (RuntimeException | IOException e) { // the run is committed and summarised; examples are a courtesy
      say(s, "could not read example rows: " + e);
    }
    prompts.unpersist();
    if (pending != prompts) pending.unpersist();
    return summary;
  }

  /** Sums over every committed row, built per partition and merged on the driver. */
  static RunTotals totals(SparkSession spark, HadoopOutputStore store, String runId) throws IOException {
    if (!store.hasCommittedRows()) return new RunTotals();
    Dataset<Row> rows = spark.read().parquet(store.rowsDir()).select(columns());
    List<RunTotals> parts = rows.javaRDD().mapPartitions((Iterator<Row> it) -> {
      RunTotals t = new RunTotals();
      while (it.hasNext()) t.add(SparkRows.toResult(it.next()), runId);
      return List.of(t).iterator();
    }).collect();
    RunTotals all = new RunTotals();
    for (RunTotals t : parts) all.merge(t);
    return all;
  }

  /** job.examples rows for the console: a wrong one if any, then others; each kind a bounded {@code limit}. */
  static List<ResultRow> examples(SparkSession spark, HadoopOutputStore store, RunTotals totals, int k)
      throws IOException {
    if (k <= 0 || !store.hasCommittedRows()) return List.of();
    Dataset<Row> rows = spark.read().parquet(store.rowsDir()).selectExpr(SparkRows.OUTPUT.fieldNames());
    List<ResultRow> wrong = rows.where(col("correct").equalTo(false)).limit(1).collectAsList().stream()
        .map(SparkRows::toResult).toList();
    List<ResultRow> longest = totals.longestId == null ? List.of() : rows.where(col("id").equalTo(totals.longestId)
        .and(col("sample").equalTo(totals.longestSample))).limit(1).collectAsList().stream().map(SparkRows::toResult).toList();
    List<ResultRow> others = rows.limit(Math.max(16, 4 * k)).collectAsList().stream().map(SparkRows::toResult).toList();
    return ExampleRows.pick(wrong, longest, others, k);
  }

  /** The output columns, with the long text ones (which the totals do not need) replaced by nulls so Parquet skips them. */
  private static org.apache.spark.sql.Column[] columns() {
    java.util.Set<String> skipped = java.util.Set.of("prompt_text", "reasoning", "answer", "extracted");
    String[] names = SparkRows.OUTPUT.fieldNames();
    org.apache.spark.sql.Column[] c = new org.apache.spark.sql.Column[names.length];
    for (int i = 0; i < names.length; i++) {
      c[i] = skipped.contains(names[i]) ? lit(null).cast("string").as(names[i]) : col(names[i]);
    }
    return c;
  }

  private static int indexOf(String[] names, String c) {
    for (int i = 0; i < names.length; i++) if (names[i].equals(c)) return i;
    return -1;
  }

  static SparkSession session(JobSettings s) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder b = SparkSession.builder().appName(s.config().string("job.name"));
    if (!conf.contains("spark.master")) b.master(s.sparkMaster());
    // running tasks report accumulator values with heartbeats: the progress line moves every second or two
    if (!conf.contains("spark.executor.heartbeatInterval")) b.config("spark.executor.heartbeatInterval", "2s");
    if (!conf.contains("spark.ui.showConsoleProgress")) b.config("spark.ui.showConsoleProgress", "false");
    for (var e : s.config().sparkConf().entrySet()) b.config(e.getKey(), e.getValue());
    return b.getOrCreate();
  }

  static Dataset<Row> read(SparkSession spark, JobSettings s) {
    Dataset<Row> df = switch (s.inputFormat()) {
      case "table" -> spark.table(s.inputTable());
      case "parquet" -> spark.read().parquet(s.inputPath());
      case "jsonl" -> spark.read().json(s.inputPath());
      case "csv" -> spark.read().option("header", "true").option("inferSchema", "true")
          .option("multiLine", "true").option("escape", "\"").csv(s.inputPath());
      default -> throw new IllegalArgumentException("input.format " + s.inputFormat());
    };
    if (df.columns().length == 1 && df.columns()[0].equals("_corrupt_record")) {
      throw new IllegalArgumentException("input " + s.inputPath() + ": no line parsed as a JSON object");
    }
    return s.inputLimit() > 0 ? df.limit(s.inputLimit()) : df;
  }

  private static final long T0 = System.nanoTime();

  static void say(JobSettings s, String what) {
    if (s.progress()) System.err.printf("[tokenmill %6.1fs] %s%n", (System.nanoTime() - T0) / 1e9, what);
  }

  private static String source(JobSettings s) {
    return s.inputPath() != null ? s.inputPath() : "table " + s.inputTable();
  }

}
