package io.tokenmill.jobs.local;

import io.tokenmill.jobs.run.JobPipeline;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import java.io.IOException;

/**
 * The Spark-free runner: {@link JobPipeline}'s steps (the same inputs, checks, waves, resume and output
 * Parquet as the Spark job) over {@link ArrowBackend}, read and written through Apache Arrow, with one
 * engine in this process. For quick runs, notebooks without a cluster, and as the engine-alone baseline
 * that measures Spark's overhead.
 */
public final class LocalRunner {

  private LocalRunner() {}

  public static RunSummary run(JobSettings s) throws IOException {
    return JobPipeline.run(s, ArrowBackend::open);
  }
}
