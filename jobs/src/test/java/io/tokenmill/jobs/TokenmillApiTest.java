package io.tokenmill.jobs;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.OutputSchema;
import io.tokenmill.udfs.spark.SparkRows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Tokenmill#generate} on Spark {@code local[2]} with the tiny trained reasoner (greedy, a few tokens):
 * a 3-column DataFrame comes back with its columns followed by the job's output columns, one row per prompt,
 * each equal to the row the job writes for the same id; generation runs once however many actions follow;
 * options and columns fail as the job's do.
 */
class TokenmillApiTest {

  static final String MODEL = Path.of("../data-samples/models/tiny-reasoner").toAbsolutePath().normalize().toString();
  static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType)
      .add("task", DataTypes.StringType);

  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    JobFixtures.stopActiveSpark();
    spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4").getOrCreate();
  }

  @AfterAll
  static void tearDown() {
    JobFixtures.stopActiveSpark();
  }

  static Dataset<Row> prompts() {
    return spark.createDataFrame(List.of(
        RowFactory.create("a1", "What is 12 + 30?", "add"),
        RowFactory.create("s1", "What is 50 - 8?", "sub"),
        RowFactory.create("m1", "What is 6 * 7?", "mul")), SCHEMA).repartition(2);
  }

  static Map<String, String> options() {
    return Map.of("model.path", MODEL, "generation.max_new_tokens", "24", "engine.max_batch", "4",
        "engine.kv_memory_bytes", "16m");
  }

  @Test
  void returnsTheInputColumnsAndTheJobsRowsGeneratingOnce() throws Exception {
    AtomicLong generated = new AtomicLong();
    SparkListener counter = new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd e) {
        for (AccumulableInfo a : scala.jdk.javaapi.CollectionConverters.asJava(e.taskInfo().accumulables())) {
          if (a.name().isDefined() && a.name().get().startsWith("tokenmill.rows") && a.update().isDefined()) {
            generated.addAndGet(((Number) a.update().get()).longValue());
          }
        }
      }
    };
    spark.sparkContext().addSparkListener(counter);
    Dataset<Row> out;
    List<Row> rows;
    try {
      out = Tokenmill.generate(prompts(), options());
      assertEquals(0, generated.get(), "lazy: nothing runs before an action");
      assertEquals(3, out.count());
      rows = out.collectAsList();
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(counter);
    }
    assertEquals(3, generated.get(), "count() then collect(): each prompt generated once");

    List<String> expected = new ArrayList<>(List.of("prompt", "task"));
    expected.addAll(Arrays.asList(SparkRows.OUTPUT.fieldNames()));
    assertEquals(expected, Arrays.asList(out.schema().fieldNames()), "input columns (id is the output's id), then outputs");
    assertEquals(SparkRows.OUTPUT.apply("prompt_tokens").dataType(), out.schema().apply("prompt_tokens").dataType());
    Map<String, Row> byId = new TreeMap<>();
    for (Row r : rows) byId.put(r.getAs("id"), r);
    assertEquals("sub", byId.get("s1").getAs("task"));
    assertEquals("What is 6 * 7?", byId.get("m1").getAs("prompt"));

    // the job over the same rows (Parquet input, Spark runner): the same content per id
    Path input = tmp.resolve("in");
    prompts().write().parquet(input.toString());
    Path jobOut = tmp.resolve("job");
    Map<String, Object> job = new HashMap<>(options());
    job.put("input.path", input.toString());
    job.put("input.format", "parquet");
    job.put("output.path", jobOut.toString());
    job.put("job.progress", false);
    GenerateJob.execute(JobSettings.from(JobConfig.of(job)));
    Dataset<Row> jobRows = spark.read().parquet(jobOut.resolve("rows").toString()).drop("wave");
    assertEquals(content(jobRows), content(out), "same ids → same text, tokens, scores and input columns");
    assertTrue(rows.stream().allMatch(r -> r.isNullAt(r.fieldIndex("error"))), "no errors: " + rows);
    assertTrue(rows.stream().allMatch(r -> (int) r.getAs("reasoning_tokens") > 0), "the model reasoned: " + rows);

    // df.transform(...) is the same call
    assertEquals(content(out), content(prompts().transform(Tokenmill.generator(options()))));
    out.unpersist();
  }

  @Test
  void keepColumnsAndSamples() {
    Map<String, String> o = new HashMap<>(options());
    o.put("output.keep_columns", "none");
    o.put("generation.max_new_tokens", "4");
    o.put("generation.n", "2");
    Dataset<Row> none = Tokenmill.generate(prompts(), o);
    assertEquals(Arrays.asList(SparkRows.OUTPUT.fieldNames()), Arrays.asList(none.schema().fieldNames()));
    assertEquals(6, none.count(), "n = 2 rows per prompt");
    o.put("output.keep_columns", "[task]");
    assertEquals("task", Tokenmill.generate(prompts(), o).schema().fieldNames()[0]);
  }

  @Test
  void badOptionsAndColumnsFailBeforeAnythingRuns() {
    Map<String, String> typo = new HashMap<>(options());
    typo.put("generation.max_new_token", "4");
    assertMessage(typo, prompts(), "did you mean 'generation.max_new_tokens'");
    Map<String, String> jobOnly = new HashMap<>(options());
    jobOnly.put("output.path", "/tmp/x");
    assertMessage(jobOnly, prompts(), "option output.path");
    Map<String, String> badValue = new HashMap<>(options());
    badValue.put("generation.max_new_tokens", "lots");
    assertMessage(badValue, prompts(), "generation.max_new_tokens");
    Dataset<Row> clash = prompts().withColumn("answer", org.apache.spark.sql.functions.lit("42"));
    assertMessage(options(), clash, "'answer'");
    Map<String, String> dropped = new HashMap<>(options());
    dropped.put("output.keep_columns", "[prompt, task]");
    assertEquals("prompt", Tokenmill.generate(clash, dropped).schema().fieldNames()[0], "left out: no clash");
    assertMessage(options(), prompts().drop("prompt"), "input.prompt_column");
  }

  private static void assertMessage(Map<String, String> options, Dataset<Row> df, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenmill.generate(df, options));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  /** Rows as text without the provenance columns, in the output's column order, sorted. */
  static List<String> content(Dataset<Row> rows) {
    List<String> cols = new ArrayList<>(Arrays.asList(rows.schema().fieldNames()));
    cols.removeAll(OutputSchema.PROVENANCE);
    return rows.selectExpr(cols.toArray(String[]::new)).collectAsList().stream().map(Row::toString).sorted().toList();
  }
}
