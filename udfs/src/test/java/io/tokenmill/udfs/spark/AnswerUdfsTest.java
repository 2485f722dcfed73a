package io.tokenmill.udfs.spark;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SQL functions in a real local session: from SQL text and from the DataFrame API. */
class AnswerUdfsTest {

  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder()
        .master("local[1]")
        .appName("AnswerUdfsTest")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate();
    AnswerUdfs.register(spark);
    StructType schema = new StructType()
        .add("id", DataTypes.StringType)
        .add("answer", DataTypes.StringType)
        .add("reference", DataTypes.StringType);
    List<Row> rows = List.of(
        RowFactory.create("a", "She has \\boxed{1,250} coins.", "1250"),
        RowFactory.create("b", "So 3 + 4 = 8.", "7"),
        RowFactory.create("c", "The total is 42.", null),
        RowFactory.create("d", null, "5"));
    spark.createDataFrame(rows, schema).createOrReplaceTempView("outputs");
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) spark.stop();
  }

  @Test
  void sqlExtractsAndScoresEveryRow() {
    List<Row> got = spark.sql(
            "SELECT id, tm_extract(answer, 'auto') AS extracted,"
                + " tm_correct(answer, reference, 'auto', 'numeric') AS correct"
                + " FROM outputs ORDER BY id")
        .collectAsList();
    assertEquals(List.of(
            RowFactory.create("a", "1,250", true),
            RowFactory.create("b", "8", false),
            RowFactory.create("c", "42", null),
            RowFactory.create("d", null, false)),
        got);
  }

  @Test
  void resultTypesAreStringAndBoolean() {
    StructType schema = spark.sql(
        "SELECT tm_extract(answer, 'last_number') AS e, tm_correct(answer, reference, 'auto', 'auto') AS c FROM outputs")
        .schema();
    assertEquals(DataTypes.StringType, schema.apply("e").dataType());
    assertEquals(DataTypes.BooleanType, schema.apply("c").dataType());
  }

  @Test
  void dataFrameApiUsesTheSameFunctions() {
    Dataset<Row> scored = spark.table("outputs")
        .select(
            col("id"),
            AnswerUdfs.extract(col("answer"), "last_number").as("extracted"),
            AnswerUdfs.correct(col("answer"), col("reference"), "last_number", "numeric").as("correct"))
        .orderBy("id");
    List<Row> got = scored.collectAsList();
    assertEquals("1250", got.get(0).getString(1));
    assertTrue(got.get(0).getBoolean(2));
    assertNull(got.get(2).get(2), "no reference, no verdict");
    Row autoByNull = spark.table("outputs").where("id = 'a'")
        .select(AnswerUdfs.extract(col("answer"), null), AnswerUdfs.correct(col("answer"), col("reference"), null, null))
        .first();
    assertEquals(RowFactory.create("1,250", true), autoByNull, "null specs mean auto");
  }

  @Test
  void anUnreadableReferenceIsNullNotAFailedQuery() {
    List<Row> got = spark.sql("SELECT id, tm_correct(answer, CASE WHEN id = 'b' THEN 'seven' ELSE reference END,"
        + " 'auto', 'numeric') FROM outputs ORDER BY id").collectAsList();
    assertEquals(4, got.size());
    assertTrue(got.get(0).getBoolean(1), "the other rows are still scored");
    assertTrue(got.get(1).isNullAt(1), "'seven' under numeric: null for that row");
  }

  @Test
  void unknownExtractorFailsTheQueryNamingIt() {
    Exception e = assertThrows(Exception.class,
        () -> spark.sql("SELECT tm_extract(answer, 'boxd') FROM outputs").collectAsList());
    assertTrue(rootMessage(e).contains("eval.extractor 'boxd'"), rootMessage(e));
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) t = t.getCause();
    return t.getMessage();
  }
}
