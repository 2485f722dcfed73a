package io.tokenmill.jobs.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.pmod;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.jobs.report.ReportRows;
import io.tokenmill.jobs.report.RunReport;
import io.tokenmill.jobs.report.SparkReportRows;
import io.tokenmill.jobs.report.ThroughputTimeline;
import io.tokenmill.jobs.run.DuplicateIds;
import io.tokenmill.jobs.run.ExampleRows;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.OutputLayout;
import io.tokenmill.jobs.run.ProgressLine;
import io.tokenmill.jobs.run.RunIdentity;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.run.RunTotals;
import io.tokenmill.jobs.run.WaveCommitter;
import io.tokenmill.jobs.run.WaveKeys;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.ResultRow;
import io.tokenmill.udfs.spark.InferencePartition;
import io.tokenmill.udfs.spark.SparkRows;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
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
    String javaRefusal = io.tokenmill.jobs.JavaSupport.sparkRefusal(io.tokenmill.jobs.JavaSupport.feature());
    if (javaRefusal != null) throw new IllegalArgumentException(javaRefusal);
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
    label(spark, s, "tokenmill read input");
    SparkInput.Prompts input = SparkInput.read(spark, s);
    Dataset<Row> prompts = input.rows().persist(StorageLevel.MEMORY_AND_DISK());
    long inputPrompts = prompts.count();
    input.release().run();
    say(s, "read " + inputPrompts + " prompts; checking ids and committed output");

    label(spark, s, "tokenmill plan (duplicate ids, committed keys)");
    int n = s.context().generation().n();
    Map<String, Long> firstPositions = new HashMap<>();
    for (Row r : prompts.groupBy("id").agg(count(lit(1)).as("c"), min("position").as("p"))
        .filter(col("c").gt(1)).collectAsList()) {
      firstPositions.put(r.getString(0), r.getLong(2));
    }
    List<DuplicateIds.Later> later = new ArrayList<>();
    Dataset<Row> unique = prompts;
    if (!firstPositions.isEmpty()) {
      HashMap<String, Long> first = new HashMap<>(firstPositions);
      FilterFunction<Row> isLater = r -> {
        Long f = first.get(r.<String>getAs("id"));
        return f != null && f != r.<Long>getAs("position").longValue();
      };
      unique = prompts.filter((FilterFunction<Row>) r -> !isLater.call(r));
      for (Row r : prompts.filter(isLater).select("id", "position").collectAsList()) {
        later.add(new DuplicateIds.Later(r.getString(0), r.getLong(1), first.get(r.getString(0))));
      }
    }

    store.prepare(s.outputMode());
    store.checkIdentity(RunIdentity.of(s), RunIdentity::warn); // refuses resuming other settings
    store.writeText(OutputLayout.DUPLICATES, DuplicateIds.fileText(later));
    Dataset<Row> pending = unique;
    Map<String, Set<Integer>> partial = new HashMap<>();
    if (store.hasCommittedRows()) {
      // resume per (id, sample): an id is done when all n samples are committed; one with some of them is
      // generated again and only its missing samples are written
      Dataset<Row> committed = spark.read().schema(SparkRows.OUTPUT).parquet(store.rowsDir())
          .select("id", "sample").where(col("sample").geq(0).and(col("sample").lt(n))).distinct()
          .groupBy("id").agg(collect_set("sample").as("samples"), count(lit(1)).as("c"));
      Dataset<Row> done = committed.filter(col("c").geq(n)).select("id");
      pending = unique.join(done, unique.col("id").equalTo(done.col("id")), "left_anti");
      for (Row r : committed.filter(col("c").lt(n)).join(unique.select("id"), "id").select("id", "samples")
          .collectAsList()) {
        partial.put(r.getString(0), new HashSet<>(r.<Integer>getList(1)));
      }
    }
    RunContext ctx = s.context().withCommittedSamples(partial);
    if (pending != prompts) pending = pending.persist(StorageLevel.MEMORY_AND_DISK());
    long uniquePrompts = unique == prompts ? inputPrompts : unique.count();
    long pendingPrompts = pending.count();
    long resumed = uniquePrompts - pendingPrompts;
    int waves = s.wavesFor(pendingPrompts);
    int partitions = s.partitions() > 0 ? s.partitions() : spark.sparkContext().defaultParallelism();
    say(s, String.format("%,d prompts, %,d already in %s, %,d to generate in %d wave(s) of %d partition(s)",
        inputPrompts, resumed, s.outputPath(), pendingPrompts, waves, partitions));
    if (!later.isEmpty()) {
      say(s, String.format("%,d row(s) repeat an earlier row's id and are not generated: %s/%s", later.size(),
          s.outputPath(), OutputLayout.DUPLICATES));
    }

    LongAccumulator rowsDone = spark.sparkContext().longAccumulator("tokenmill.rows");
    LongAccumulator tokens = spark.sparkContext().longAccumulator("tokenmill.output_tokens");
    CollectionAccumulator<EngineReport> reports = spark.sparkContext().collectionAccumulator("tokenmill.engines");
    LiveProgress liveRows = new LiveProgress(rowsDone);
    LiveProgress liveTokens = new LiveProgress(tokens);
    spark.sparkContext().addSparkListener(liveRows);
    spark.sparkContext().addSparkListener(liveTokens);
    InferencePartition fn = new InferencePartition(ctx, new InferencePartition.Counters(rowsDone, tokens, reports),
        s.fault());

    long expectedRows = pendingPrompts * n;
    long g0 = System.nanoTime(); // the generation phase: the waves (executors load their engines in the first)
    ThroughputTimeline timeline = ThroughputTimeline.start(liveRows::value, liveTokens::value);
    int committedWaves = 0;
    int retried = 0;
    boolean stopped = false;
    try (ProgressLine progress = new ProgressLine(System.err, expectedRows, liveRows::value, liveTokens::value,
        s.progressIntervalSeconds(), s.progress())) {
      for (int w = 0; w < waves && pendingPrompts > 0; w++) {
        progress.stage("wave " + (w + 1) + "/" + waves);
        Dataset<Row> wave = pending.filter(pmod(col("bucket"), lit(waves)).equalTo(w));
        String which = "wave " + (w + 1) + "/" + waves;
        var partitionFn = PausingPartition.wrap(fn, s.testPause(), "wave_running:" + (w + 1));
        // each phase labels its Spark jobs: the UI's job description and stage name say what runs
        retried += WaveCommitter.commit(store, s, w, waves,
            (staging, attempt) -> {
              label(spark, s, "tokenmill generate " + which);
              wave.repartition(partitions)
                  .mapPartitions(partitionFn, Encoders.row(SparkRows.outputWith(input.kept())))
                  .write().mode(SaveMode.Overwrite).parquet(staging);
            },
            staging -> {
              label(spark, s, "tokenmill check " + which);
              return stagedKeyProblems(spark, wave, staging, n, partial);
            },
            msg -> say(s, msg));
        committedWaves++;
        if (s.stopAfterWaves() > 0 && committedWaves >= s.stopAfterWaves() && w + 1 < waves) {
          stopped = true;
          break;
        }
      }
    } finally {
      timeline.close();
      spark.sparkContext().removeSparkListener(liveRows);
      spark.sparkContext().removeSparkListener(liveTokens);
    }

    double generationSeconds = (System.nanoTime() - g0) / 1e9;
    say(s, "waves done; summarising " + store.rowsDir());
    label(spark, s, "tokenmill summary");
    RunTotals totals = totals(spark, store, s.runId());
    List<EngineReport> engineReports = new ArrayList<>(reports.value());
    RunSummary summary = new RunSummary(s, totals, inputPrompts, resumed, waves, committedWaves,
        (System.nanoTime() - t0) / 1e9, engineReports, started, master, stopped).withIntegrity(later.size(), retried)
        .withGenerationSeconds(generationSeconds);
    store.writeSummary(summary.toJsonString());
    try {
      summary.withExamples(examples(spark, store, totals, s.examples()));
    } catch (RuntimeException | IOException e) { // the run is committed and summarised; examples are a courtesy
      say(s, "could not read example rows: " + e);
    }
    label(spark, s, "tokenmill report");
    RunReport.write(store, summary, s, () -> store.hasCommittedRows()
        ? SparkReportRows.read(spark, store.rowsDir(), RunReport.groupBy(s), totals.rows)
        : new ReportRows(null, 0, RunReport.SAMPLE_ROWS), timeline.points(), msg -> say(s, msg));
    spark.sparkContext().clearJobGroup();
    spark.sparkContext().clearCallSite();
    prompts.unpersist();
    if (pending != prompts) pending.unpersist();
    return summary;
  }

  /**
   * {@link WaveKeys} over a staged wave, on the executors: the wave's ids full-outer-joined with the staged
   * samples per id, each pair checked; a few problems come back to the driver (none when exact).
   */
  static List<String> stagedKeyProblems(SparkSession spark, Dataset<Row> wave, String staging, int n,
      Map<String, Set<Integer>> committed) {
    Dataset<Row> staged = spark.read().schema(SparkRows.OUTPUT).parquet(staging)
        .groupBy("id").agg(collect_list("sample").as("samples"));
    Dataset<Row> owed = wave.select(col("id").as("owed_id"));
    HashMap<String, Set<Integer>> before = new HashMap<>(committed);
    return owed.join(staged, owed.col("owed_id").equalTo(staged.col("id")), "full_outer")
        .flatMap((FlatMapFunction<Row, String>) r -> {
          String owedId = r.isNullAt(0) ? null : r.getString(0);
          String id = owedId != null ? owedId : r.getString(1);
          List<Integer> samples = r.isNullAt(2) ? List.of() : r.<Integer>getList(2);
          String p = WaveKeys.problem(id, owedId != null, n, before.getOrDefault(id, Set.of()), samples);
          return p == null ? java.util.Collections.emptyIterator() : List.of(p).iterator();
        }, Encoders.STRING())
        .limit(4 * WaveKeys.SHOWN).collectAsList();
  }

  /** Sums over every committed row, built per partition and merged on the driver. */
  static RunTotals totals(SparkSession spark, HadoopOutputStore store, String runId) throws IOException {
    if (!store.hasCommittedRows()) return new RunTotals();
    Dataset<Row> rows = spark.read().schema(SparkRows.OUTPUT).parquet(store.rowsDir()).select(columns());
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
    // the explicit schema reads columns an older output lacks (OutputSchema.ADDED_LATER) as null
    Dataset<Row> rows = spark.read().schema(SparkRows.OUTPUT).parquet(store.rowsDir());
    List<ResultRow> wrong = rows.where(col("correct").equalTo(false)).limit(1).collectAsList().stream()
        .map(SparkRows::toResult).toList();
    List<ResultRow> longest = totals.longestId == null ? List.of() : rows.where(col("id").equalTo(totals.longestId)
        .and(col("sample").equalTo(totals.longestSample))).limit(1).collectAsList().stream().map(SparkRows::toResult).toList();
    List<ResultRow> others = rows.limit(Math.max(16, 4 * k)).collectAsList().stream().map(SparkRows::toResult).toList();
    return ExampleRows.pick(wrong, longest, others, k);
  }

  /** The output columns, with the long ones (which the totals do not need) replaced by nulls so Parquet skips them. */
  private static org.apache.spark.sql.Column[] columns() {
    java.util.Set<String> skipped = java.util.Set.of("prompt_text", "reasoning", "answer", "extracted", "token_ids",
        "logprobs", "top_logprobs");
    var fields = SparkRows.OUTPUT.fields();
    org.apache.spark.sql.Column[] c = new org.apache.spark.sql.Column[fields.length];
    for (int i = 0; i < fields.length; i++) {
      String name = fields[i].name();
      c[i] = skipped.contains(name) ? lit(null).cast(fields[i].dataType()).as(name) : col(name);
    }
    return c;
  }

  /** Names what the next Spark jobs do: their description (jobs page) and stage name (stages page). */
  private static void label(SparkSession spark, JobSettings s, String what) {
    spark.sparkContext().setJobGroup("tokenmill-" + s.runId(), what, true);
    spark.sparkContext().setCallSite(what);
  }

  static SparkSession session(JobSettings s) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder b = SparkSession.builder();
    // spark-submit --name (spark.app.name) wins over job.name, like every other setting Spark was given
    if (!conf.contains("spark.app.name")) b.appName(s.config().string("job.name"));
    if (!conf.contains("spark.master")) b.master(s.sparkMaster());
    // running tasks report accumulator values with heartbeats: the progress line moves every second or two
    if (!conf.contains("spark.executor.heartbeatInterval")) b.config("spark.executor.heartbeatInterval", "2s");
    if (!conf.contains("spark.ui.showConsoleProgress")) b.config("spark.ui.showConsoleProgress", "false");
    SparkLogging.quietIfUnconfigured(conf);
    // Like --master over spark.master: what Spark was already given (spark-submit --conf, spark-defaults.conf,
    // -D) wins over the YAML's spark.conf.*, and a differing YAML value is named, not silently dropped.
    for (var e : s.config().sparkConf().entrySet()) {
      String given = conf.contains(e.getKey()) ? conf.get(e.getKey()) : null;
      if (given == null) {
        b.config(e.getKey(), e.getValue());
      } else if (!given.equals(String.valueOf(e.getValue()))) {
        say(s, "spark.conf." + e.getKey() + " = " + e.getValue() + " in the config is overridden by Spark's own "
            + e.getKey() + " = " + given + " (spark-submit --conf or spark-defaults.conf win)");
      }
    }
    return b.getOrCreate();
  }

  private static final long T0 = System.nanoTime();

  static void say(JobSettings s, String what) {
    if (s.progress()) System.err.printf("[tokenmill %6.1fs] %s%n", (System.nanoTime() - T0) / 1e9, what);
  }

  private static String source(JobSettings s) {
    return s.inputPath() != null ? s.inputPath() : "table " + s.inputTable();
  }

}
