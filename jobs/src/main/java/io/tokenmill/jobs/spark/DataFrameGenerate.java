package io.tokenmill.jobs.spark;

import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.FaultInjection;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.InputSpec;
import io.tokenmill.udfs.rows.KeptColumns;
import io.tokenmill.udfs.spark.InferencePartition;
import io.tokenmill.udfs.spark.SparkRows;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * The Spark plan behind {@link io.tokenmill.jobs.Tokenmill#generate}: the DataFrame's rows normalised as the job
 * normalises a Spark table's ({@link SparkInput#dataFrame}), then the job's own executor function ({@link
 * InferencePartition}: engine cache, GPU binding, per-row error rows, kept columns ahead of the output columns),
 * persisted so that generation runs once per partition however many actions follow.
 */
public final class DataFrameGenerate {

  private DataFrameGenerate() {}

  /**
   * @param partitions repartition to this many partitions first (0: keep the DataFrame's own partitioning)
   */
  public static Dataset<Row> plan(Dataset<Row> df, InputSpec spec, KeptColumns.Setting keep, RunContext ctx,
      int partitions) {
    SparkInput.Prompts prompts = SparkInput.dataFrame(df, spec, keep, "the DataFrame");
    SparkContext sc = df.sparkSession().sparkContext();
    InferencePartition fn = new InferencePartition(ctx, new InferencePartition.Counters(
        sc.longAccumulator("tokenmill.rows " + ctx.runId()), sc.longAccumulator("tokenmill.output_tokens " + ctx.runId()),
        sc.<EngineReport>collectionAccumulator("tokenmill.engines " + ctx.runId())), FaultInjection.NONE);
    Dataset<Row> rows = partitions > 0 ? prompts.rows().repartition(partitions) : prompts.rows();
    return rows.mapPartitions(fn, Encoders.row(SparkRows.outputWith(prompts.kept())))
        .persist(StorageLevel.MEMORY_AND_DISK());
  }
}
