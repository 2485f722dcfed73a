package io.tokenmill.jobs.bench;

import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.local.LocalRunner;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.spark.SparkRunner;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Spark's overhead on the job: the same prompts through the Arrow runner (engine alone + Parquet I/O) and
 * through the Spark runner, in one process with the engine already loaded (a short warm-up run loads it;
 * both runners then share it). Spark's figure is end to end: session start, planning, waves, commit,
 * summary. Prints both and the ratio; the brief's aim is ≤ 1.15×.
 */
public final class JobOverheadBenchmark {

  public record Result(RunSummary arrow, RunSummary spark) {
    public double ratio() {
      return spark.wallSeconds() / arrow.wallSeconds();
    }
  }

  private JobOverheadBenchmark() {}

  public static Result run(JobConfig config, Path scratch, PrintStream out) throws Exception {
    Files.createDirectories(scratch);
    Map<String, Object> common = Map.of("output.mode", "overwrite", "job.progress", false);
    JobSettings warm = JobSettings.from(config.with(common).with(Map.of("job.runner", "local", "input.limit", 2,
        "output.path", scratch.resolve("warmup").toString())));
    out.println("warm-up (loads the engine once for both runners) ...");
    LocalRunner.run(warm);
    JobSettings arrowSettings = JobSettings.from(config.with(common).with(Map.of("job.runner", "local",
        "output.path", scratch.resolve("arrow").toString())));
    out.println("Arrow runner ...");
    RunSummary arrow = LocalRunner.run(arrowSettings);
    JobSettings sparkSettings = JobSettings.from(config.with(common).with(Map.of("job.runner", "spark",
        "output.path", scratch.resolve("spark").toString())));
    out.println("Spark runner (" + sparkSettings.sparkMaster() + ") ...");
    RunSummary spark = SparkRunner.run(sparkSettings);
    Result r = new Result(arrow, spark);
    out.printf("%-22s %10s %12s %14s %10s%n", "runner", "rows", "wall s", "out tok/s", "occupancy");
    row(out, "arrow (engine alone)", arrow);
    row(out, "spark " + sparkSettings.sparkMaster(), spark);
    out.printf("spark / arrow wall time: %.3fx (aim <= 1.15x)%n", r.ratio());
    return r;
  }

  private static void row(PrintStream out, String name, RunSummary s) {
    out.printf("%-22s %10d %12.2f %14.1f %10.2f%n", name, s.totals().runRows, s.wallSeconds(),
        s.outputTokensPerSecond(), s.meanOccupancy());
  }
}
