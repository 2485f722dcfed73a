package io.tokenmill.udfs.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Answer scoring as Spark SQL functions, over {@link io.tokenmill.udfs.eval.AnswerScorer}:
 *
 * <ul>
 *   <li>{@code tm_extract(answer STRING, extractor STRING) -> STRING}: the extracted answer, or null;
 *   <li>{@code tm_correct(answer STRING, reference STRING, extractor STRING, verifier STRING) ->
 *       BOOLEAN}: whether it is right; null when the reference is null or unreadable.
 * </ul>
 *
 * A null extractor or verifier means {@code auto}; an unknown one fails the query with a message naming
 * it. A reference the verifier cannot read (a letter under {@code numeric}) makes that row's
 * {@code tm_correct} null, so one bad row cannot fail a whole query. From SQL:
 *
 * <pre>{@code
 * AnswerUdfs.register(spark);
 * spark.sql("SELECT id, tm_correct(answer, reference, 'auto', 'numeric') AS correct FROM outputs");
 * }</pre>
 *
 * and from the DataFrame API with {@link #extract} and {@link #correct}.
 */
public final class AnswerUdfs {

  public static final String EXTRACT = "tm_extract";
  public static final String CORRECT = "tm_correct";

  private AnswerUdfs() {}

  /** Registers both functions in the session (idempotent). */
  public static void register(SparkSession spark) {
    spark.udf().register(EXTRACT, new ExtractFunction(), DataTypes.StringType);
    spark.udf().register(CORRECT, new CorrectFunction(), DataTypes.BooleanType);
  }

  /** {@code tm_extract(answer, extractor)} as a column; the session must have {@link #register}ed. */
  public static Column extract(Column answer, String extractorSpec) {
    return functions.call_function(EXTRACT, answer, functions.lit(extractorSpec));
  }

  /** {@code tm_correct(answer, reference, extractor, verifier)} as a column. */
  public static Column correct(Column answer, Column reference, String extractorSpec, String verifierName) {
    return functions.call_function(
        CORRECT, answer, reference, functions.lit(extractorSpec), functions.lit(verifierName));
  }
}
