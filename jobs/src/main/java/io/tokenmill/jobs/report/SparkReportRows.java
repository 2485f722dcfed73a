package io.tokenmill.jobs.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** {@link ReportRows} over the committed rows through Spark: one per partition on the executors, merged here. */
public final class SparkReportRows {

  private SparkReportRows() {}

  /**
   * @param groupBy output.report_group_by; used when the rows have that column
   * @param expectedRows rows in the output (the summary's count), for the token sample's rate
   */
  public static ReportRows read(SparkSession spark, String rowsDir, String groupBy, long expectedRows) {
    Dataset<Row> rows = spark.read().parquet(rowsDir);
    List<String> columns = Arrays.asList(rows.columns());
    String group = groupBy != null && !groupBy.isBlank() && columns.contains(groupBy) ? groupBy : null;
    Column[] wanted = {col("id"), col("sample"), col("reasoning_tokens"), col("answer_tokens"), col("correct"),
        col("reference").isNotNull(), col("error"),
        group == null ? lit(null).cast("string") : col(group).cast("string"),
        columns.contains("thinking_budget") ? col("thinking_budget").cast("long") : lit(null).cast("long")};
    List<ReportRows> parts = rows.select(wanted).javaRDD().mapPartitions((Iterator<Row> it) -> {
      ReportRows part = new ReportRows(group, expectedRows, RunReport.SAMPLE_ROWS);
      while (it.hasNext()) {
        Row r = it.next();
        part.add(r.getString(0), r.getInt(1), r.getInt(2), r.getInt(3), r.isNullAt(4) ? null : r.getBoolean(4),
            r.getBoolean(5), r.getString(6), r.getString(7), r.isNullAt(8) ? null : r.getLong(8));
      }
      return List.of(part).iterator();
    }).collect();
    ReportRows all = new ReportRows(group, expectedRows, RunReport.SAMPLE_ROWS);
    for (ReportRows p : parts) all.merge(p);
    return all;
  }
}
