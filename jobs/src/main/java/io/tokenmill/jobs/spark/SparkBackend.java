package io.tokenmill.jobs.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.pmod;

import io.tokenmill.jobs.JavaSupport;
import io.tokenmill.jobs.report.ReportRows;
import io.tokenmill.jobs.report.SparkReportRows;
import io.tokenmill.jobs.run.DuplicateIds;
import io.tokenmill.jobs.run.ExampleRows;
import io.tokenmill.jobs.run.JobBackend;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.OutputStore;
import io.tokenmill.jobs.run.RunTotals;
import io.tokenmill.jobs.run.WaveKeys;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.ResultRow;
import io.tokenmill.udfs.spark.InferencePartition;
import io.tokenmill.udfs.spark.SparkRows;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The job's backend on Spark: the input read into a persisted Dataset on the executors, duplicate ids and
 * committed keys found by Spark queries, each wave a {@code mapPartitions(InferencePartition)} over the
 * prompts hashed into it, staged keys checked by a join on the executors, totals summed per partition.
 */
final class SparkBackend implements JobBackend {

  private final JobSettings s;
  private final SparkSession spark;
  private final HadoopOutputStore store;
  private SparkInput.Prompts input;
  private Dataset<Row> prompts;
  private Dataset<Row> unique;
  private Dataset<Row> pending;
  private long inputPrompts;

  private SparkBackend(JobSettings s, SparkSession spark) throws IOException {
    this.s = s;
    this.spark = spark;
    this.store = new HadoopOutputStore(s.outputPath(), spark.sparkContext().hadoopConfiguration());
  }

  /** Refuses a Java Spark cannot run on, starts (or joins) the Spark session. */
  static JobBackend open(JobSettings s, Consumer<String> say) throws IOException {
    String javaRefusal = JavaSupport.sparkRefusal(JavaSupport.feature());
    if (javaRefusal != null) throw new IllegalArgumentException(javaRefusal);
    say.accept("starting Spark");
    SparkSession spark = SparkRunner.session(s);
    say.accept("Spark " + spark.version() + " on " + spark.sparkContext().master() + "; reading "
        + (s.inputPath() != null ? s.inputPath() : "table " + s.inputTable()));
    return new SparkBackend(s, spark);
  }

  @Override
  public OutputStore store() {
    return store;
  }

  @Override
  public String master() {
    return spark.sparkContext().master();
  }

  @Override
  public Input read() throws IOException {
    input = SparkInput.read(spark, s);
    prompts = input.rows().persist(StorageLevel.MEMORY_AND_DISK());
    inputPrompts = prompts.count();
    input.release().run();

    Map<String, Long> first = new HashMap<>();
    for (Row r : prompts.groupBy("id").agg(count(lit(1)).as("c"), min("position").as("p"))
        .filter(col("c").gt(1)).collectAsList()) {
      first.put(r.getString(0), r.getLong(2));
    }
    List<DuplicateIds.Later> later = new ArrayList<>();
    unique = prompts;
    if (!first.isEmpty()) {
      HashMap<String, Long> firstCopy = new HashMap<>(first);
      FilterFunction<Row> isLater = r -> {
        Long f = firstCopy.get(r.<String>getAs("id"));
        return f != null && f != r.<Long>getAs("position").longValue();
      };
      unique = prompts.filter((FilterFunction<Row>) r -> !isLater.call(r));
      for (Row r : prompts.filter(isLater).select("id", "position").collectAsList()) {
        later.add(new DuplicateIds.Later(r.getString(0), r.getLong(1), firstCopy.get(r.getString(0))));
      }
    }
    return new Input(inputPrompts, later);
  }

  @Override
  public Pending pending(int n) throws IOException {
    pending = unique;
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
    if (pending != prompts) pending = pending.persist(StorageLevel.MEMORY_AND_DISK());
    long uniquePrompts = unique == prompts ? inputPrompts : unique.count();
    return new Pending(uniquePrompts, pending.count(), partial);
  }

  private int partitions() {
    return s.partitions() > 0 ? s.partitions() : spark.sparkContext().defaultParallelism();
  }

  @Override
  public String waveShape() {
    return " of " + partitions() + " partition(s)";
  }

  @Override
  public Generation generation(RunContext ctx, int waves) {
    LongAccumulator rowsDone = spark.sparkContext().longAccumulator("tokenmill.rows");
    LongAccumulator tokens = spark.sparkContext().longAccumulator("tokenmill.output_tokens");
    CollectionAccumulator<EngineReport> reports = spark.sparkContext().collectionAccumulator("tokenmill.engines");
    LiveProgress liveRows = new LiveProgress(rowsDone);
    LiveProgress liveTokens = new LiveProgress(tokens);
    spark.sparkContext().addSparkListener(liveRows);
    spark.sparkContext().addSparkListener(liveTokens);
    InferencePartition fn = new InferencePartition(ctx, new InferencePartition.Counters(rowsDone, tokens, reports),
        s.fault());
    int partitions = partitions();
    int n = ctx.generation().n();
    Map<String, Set<Integer>> committed = ctx.committedSamples();
    return new Generation() {
      @Override
      public long rows() {
        return liveRows.value();
      }

      @Override
      public long tokens() {
        return liveTokens.value();
      }

      @Override
      public void write(int w, int waves, String staging, int attempt) {
        var partitionFn = PausingPartition.wrap(fn, s.testPause(), "wave_running:" + (w + 1));
        try {
          wave(w, waves).repartition(partitions)
              .mapPartitions(partitionFn, Encoders.row(SparkRows.outputWith(input.kept())))
              .write().mode(SaveMode.Overwrite).parquet(staging);
        } finally {
          liveRows.settle();
          liveTokens.settle();
        }
      }

      @Override
      public List<String> check(int w, int waves, String staging) {
        return stagedKeyProblems(spark, wave(w, waves), staging, n, committed);
      }

      @Override
      public List<EngineReport> engineReports() {
        return new ArrayList<>(reports.value());
      }

      @Override
      public void close() {
        spark.sparkContext().removeSparkListener(liveRows);
        spark.sparkContext().removeSparkListener(liveTokens);
      }
    };
  }

  private Dataset<Row> wave(int w, int waves) {
    return pending.filter(pmod(col("bucket"), lit(waves)).equalTo(w));
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
          return p == null ? Collections.emptyIterator() : List.of(p).iterator();
        }, Encoders.STRING())
        .limit(4 * WaveKeys.SHOWN).collectAsList();
  }

  /** Sums over every committed row, built per partition and merged on the driver. */
  @Override
  public RunTotals totals(String runId) throws IOException {
    if (!store.hasCommittedRows()) return new RunTotals();
    Dataset<Row> rows = spark.read().schema(SparkRows.OUTPUT).parquet(store.rowsDir()).select(totalsColumns());
    List<RunTotals> parts = rows.javaRDD().mapPartitions((Iterator<Row> it) -> {
      RunTotals t = new RunTotals();
      while (it.hasNext()) t.add(SparkRows.toResult(it.next()), runId);
      return List.of(t).iterator();
    }).collect();
    RunTotals all = new RunTotals();
    for (RunTotals t : parts) all.merge(t);
    return all;
  }

  /** A wrong row if any, the longest row, then others; each kind a bounded {@code limit}. */
  @Override
  public List<ResultRow> examples(RunTotals totals, int k) throws IOException {
    if (k <= 0 || !store.hasCommittedRows()) return List.of();
    // the explicit schema reads columns an older output lacks (OutputSchema.ADDED_LATER) as null
    Dataset<Row> rows = spark.read().schema(SparkRows.OUTPUT).parquet(store.rowsDir());
    List<ResultRow> wrong = rows.where(col("correct").equalTo(false)).limit(1).collectAsList().stream()
        .map(SparkRows::toResult).toList();
    List<ResultRow> longest = totals.longestId == null ? List.of() : rows.where(col("id").equalTo(totals.longestId)
        .and(col("sample").equalTo(totals.longestSample))).limit(1).collectAsList().stream()
        .map(SparkRows::toResult).toList();
    List<ResultRow> others = rows.limit(Math.max(16, 4 * k)).collectAsList().stream().map(SparkRows::toResult)
        .toList();
    return ExampleRows.pick(wrong, longest, others, k);
  }

  @Override
  public ReportRows reportRows(String groupBy, long totalRows) throws IOException {
    return SparkReportRows.read(spark, store.rowsDir(), groupBy, totalRows);
  }

  /** The output columns, with the long ones (which the totals do not need) replaced by nulls so Parquet skips them. */
  private static Column[] totalsColumns() {
    Set<String> skipped = Set.of("prompt_text", "reasoning", "answer", "extracted", "token_ids", "logprobs",
        "top_logprobs");
    var fields = SparkRows.OUTPUT.fields();
    Column[] c = new Column[fields.length];
    for (int i = 0; i < fields.length; i++) {
      String name = fields[i].name();
      c[i] = skipped.contains(name) ? lit(null).cast(fields[i].dataType()).as(name) : col(name);
    }
    return c;
  }

  /** Names what the next Spark jobs do: their description (jobs page) and stage name (stages page). */
  @Override
  public void label(String what) {
    spark.sparkContext().setJobGroup("tokenmill-" + s.runId(), what, true);
    spark.sparkContext().setCallSite(what);
  }

  @Override
  public void close() {
    spark.sparkContext().clearJobGroup();
    spark.sparkContext().clearCallSite();
    if (prompts != null) prompts.unpersist();
    if (pending != null && pending != prompts) pending.unpersist();
  }
}
