package io.tokenmill.jobs;

import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.settings;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.OutputSchema;
import io.tokenmill.udfs.spark.SparkRows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * {@code output.keep_columns} on both runners: input columns lead each output row with the same names, types
 * and values whichever runner wrote it (Parquet inputs keep their own types; JSON Lines and CSV columns get
 * {@code TextColumnTypes}' types), error rows keep the columns of a readable input row, and a column named like
 * an output column fails the run naming it unless keep_columns leaves it out. Outputs are read back through
 * Spark, as a user would.
 */
class PassThroughColumnsTest {

  @TempDir static Path tmp;
  static Path model;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    JobFixtures.stopActiveSpark();
    model = JobFixtures.model(tmp.resolve("model"));
    spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4").getOrCreate();
  }

  @AfterAll
  static void tearDown() {
    JobFixtures.stopActiveSpark();
  }

  @Test
  void parquetColumnsKeepTheirTypesOnBothRunners() throws Exception {
    StructType message = new StructType().add("role", DataTypes.StringType).add("content", DataTypes.StringType);
    StructType schema = new StructType()
        .add("id", DataTypes.StringType)
        .add("task", DataTypes.StringType)
        .add("prompt", DataTypes.StringType)
        .add("customer", DataTypes.LongType)
        .add("level", DataTypes.IntegerType)
        .add("weight", DataTypes.DoubleType)
        .add("flagged", DataTypes.BooleanType)
        .add("price", DataTypes.createDecimalType(10, 2))
        .add("history", DataTypes.createArrayType(message))
        .add("reference", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(RowFactory.create("q" + i, i % 2 == 0 ? "add" : "sub", i == 5 ? "" : "What is " + i + " + 1?",
          1_000_000_000_000L + i, i, i * 0.5, i % 3 == 0, new java.math.BigDecimal(i + ".25"),
          scala.jdk.javaapi.CollectionConverters.asScala(List.of(RowFactory.create("user", "earlier " + i))).toSeq(),
          String.valueOf(i + 1)));
    }
    Path input = tmp.resolve("parquet-in/in.parquet");
    spark.createDataFrame(rows, schema).coalesce(2).write().parquet(input.toString());

    List<String> expected = List.of("task", "prompt", "customer", "level", "weight", "flagged", "price", "history");
    Dataset<Row> sparkOut = runBoth(input, "parquet", Map.of());
    assertEquals(expected, leading(sparkOut, expected.size()), "input order; id and reference are output columns");
    for (String c : expected) {
      assertEquals(schema.apply(c).dataType(), sparkOut.schema().apply(c).dataType(), c + " keeps its Parquet type");
    }
    Row q5 = sparkOut.where("id = 'q5'").collectAsList().get(0);
    assertEquals("error", q5.getAs("finish_reason"), "the empty prompt is an error row");
    assertEquals(1_000_000_000_005L, (long) q5.getAs("customer"), "an error row keeps its input columns");
    assertEquals(new java.math.BigDecimal("5.25"), q5.getAs("price"));
    Row q2 = sparkOut.where("id = 'q2'").collectAsList().get(0);
    assertEquals("earlier 2", q2.<Row>getList(q2.fieldIndex("history")).get(0).getAs("content"));
  }

  @Test
  void jsonLinesColumnsGetTheSameTypesOnBothRunners() throws Exception {
    Path input = jsonl(tmp.resolve("jsonl-in/in.jsonl"), List.of(
        "{\"id\": \"a\", \"prompt\": \"What is 1 + 1?\", \"task\": \"add\", \"count\": 3, \"ok\": true, "
            + "\"ratio\": 1.50, \"meta\": {\"k\": [1, 2]}, \"mixed\": 1}",
        "{\"id\": \"b\", \"prompt\": \"What is 2 + 2?\", \"task\": \"add\", \"count\": 12345678901, \"ok\": false, "
            + "\"ratio\": 2, \"mixed\": \"two\"}",
        "not json at all",
        "{\"id\": \"c\", \"prompt\": true, \"task\": \"bad prompt\", \"count\": null}"));
    Dataset<Row> out = runBoth(input, "jsonl", Map.of());
    List<String> expected = List.of("prompt", "task", "count", "ok", "ratio", "meta", "mixed");
    assertEquals(expected, leading(out, expected.size()));
    assertEquals(DataTypes.LongType, out.schema().apply("count").dataType(), "whole numbers only: long");
    assertEquals(DataTypes.BooleanType, out.schema().apply("ok").dataType(), "booleans only: boolean");
    for (String c : List.of("prompt", "task", "ratio", "meta", "mixed")) {
      assertEquals(DataTypes.StringType, out.schema().apply(c).dataType(), c);
    }
    Row a = out.where("id = 'a'").collectAsList().get(0);
    assertEquals("1.50", a.getAs("ratio"), "a decimal as written");
    assertEquals("{\"k\":[1,2]}", a.getAs("meta"), "an object as compact JSON");
    assertEquals("1", a.getAs("mixed"));
    assertEquals(12345678901L, (long) out.where("id = 'b'").collectAsList().get(0).getAs("count"));
    Row c = out.where("id = 'c'").collectAsList().get(0);
    assertEquals("error", c.getAs("finish_reason"));
    assertEquals("true", c.getAs("prompt"), "the bad prompt is kept as written");
    assertEquals("bad prompt", c.getAs("task"));
    List<Row> unreadable = out.where("error like '%line 3%'").collectAsList();
    assertEquals(1, unreadable.size(), "the line that is not JSON is an error row");
    assertTrue(unreadable.get(0).isNullAt(unreadable.get(0).fieldIndex("task")), "and has no input values");
  }

  @Test
  void csvColumnsAreStringsOnBothRunners() throws Exception {
    Path input = tmp.resolve("csv-in/in.csv");
    Files.createDirectories(input.getParent());
    Files.writeString(input, "id,prompt,task,level\nx1,What is 1 + 2?,add,007\nx2,What is 5 - 3?,sub,\n");
    Dataset<Row> out = runBoth(input, "csv", Map.of());
    assertEquals(List.of("prompt", "task", "level"), leading(out, 3));
    assertEquals(DataTypes.StringType, out.schema().apply("level").dataType());
    assertEquals("007", out.where("id = 'x1'").collectAsList().get(0).getAs("level"), "a CSV field as written");
  }

  @Test
  void keepColumnsNoneAndAListOnBothRunners() throws Exception {
    Path input = jsonl(tmp.resolve("keep-in/in.jsonl"), List.of(
        "{\"id\": \"a\", \"prompt\": \"What is 1 + 1?\", \"task\": \"add\", \"customer\": 7}",
        "{\"id\": \"b\", \"prompt\": \"What is 2 + 2?\", \"task\": \"add\", \"customer\": 8}"));
    Dataset<Row> none = runBoth(input, "jsonl-none", Map.of("output.keep_columns", "none"));
    assertEquals(SparkRows.OUTPUT.fieldNames().length, none.schema().fieldNames().length);
    assertEquals(Arrays.asList(SparkRows.OUTPUT.fieldNames()), leading(none, SparkRows.OUTPUT.fieldNames().length));
    Dataset<Row> listed = runBoth(input, "jsonl-list", Map.of("output.keep_columns", List.of("customer", "id")));
    assertEquals(List.of("customer", "id", "sample"), leading(listed, 3), "the listed ones, id once");
  }

  @Test
  void aColumnNamedLikeAnOutputColumnFailsUnlessLeftOut() throws Exception {
    Path input = jsonl(tmp.resolve("clash-in/in.jsonl"), List.of(
        "{\"id\": \"a\", \"prompt\": \"What is 1 + 1?\", \"answer\": \"2\", \"Model\": \"gpt\", \"task\": \"add\"}"));
    for (String runner : List.of("spark", "local")) {
      Path out = tmp.resolve("clash-out/" + runner);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GenerateJob.execute(
          settings(model, input, out, Map.of("job.runner", runner))), runner);
      assertTrue(e.getMessage().contains("'answer'") && e.getMessage().contains("'Model'")
          && e.getMessage().contains("output.keep_columns") && e.getMessage().contains("[prompt, task]"), e.getMessage());
      assertFalse(Files.exists(out), "a refused run leaves nothing behind");
      IllegalArgumentException listed = assertThrows(IllegalArgumentException.class, () -> GenerateJob.execute(
          settings(model, input, out, Map.of("job.runner", runner, "output.keep_columns", List.of("task", "answer")))));
      assertTrue(listed.getMessage().contains("'answer'"), listed.getMessage());
      IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> GenerateJob.execute(
          settings(model, input, out, Map.of("job.runner", runner, "output.keep_columns", List.of("tsak")))));
      assertTrue(missing.getMessage().contains("'tsak'"), missing.getMessage());
    }
    Path ok = tmp.resolve("clash-out/ok");
    GenerateJob.execute(settings(model, input, ok, Map.of("output.keep_columns", List.of("task"))));
    assertEquals(List.of("task", "id"), leading(read(ok), 2));
  }

  /**
   * Runs the job on both runners with the same settings, checks both outputs have the same schema and the same
   * rows (provenance columns aside), and returns the Spark runner's output.
   */
  private static Dataset<Row> runBoth(Path input, String name, Map<String, Object> more) throws Exception {
    Map<String, Object> local = new HashMap<>(more);
    local.put("job.runner", "local");
    Path sparkOut = tmp.resolve("out/" + name + "-spark");
    Path localOut = tmp.resolve("out/" + name + "-local");
    GenerateJob.execute(settings(model, input, sparkOut, more));
    GenerateJob.execute(settings(model, input, localOut, local));
    Dataset<Row> fromSpark = read(sparkOut);
    Dataset<Row> fromLocal = read(localOut);
    assertEquals(fromSpark.schema().toDDL(), fromLocal.schema().toDDL(), "same columns and types");
    assertEquals(content(fromSpark), content(fromLocal), "same rows");
    return fromSpark;
  }

  private static Dataset<Row> read(Path out) {
    return spark.read().parquet(out.resolve("rows").toString()).drop("wave");
  }

  /** Every row as text, provenance columns dropped, sorted. */
  private static List<String> content(Dataset<Row> rows) {
    return rows.drop(OutputSchema.PROVENANCE.toArray(String[]::new)).collectAsList().stream().map(Row::toString)
        .sorted().toList();
  }

  private static List<String> leading(Dataset<Row> rows, int n) {
    return Arrays.asList(rows.schema().fieldNames()).subList(0, n);
  }
}
