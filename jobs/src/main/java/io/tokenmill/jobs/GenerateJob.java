package io.tokenmill.jobs;

import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.local.LocalRunner;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import java.util.ArrayList;
import java.util.List;

/**
 * The job's entry point, the same for {@code bin/tokenmill run} and {@code spark-submit --class
 * io.tokenmill.jobs.GenerateJob tokenmill-jobs.jar -c job.yaml [--set key=value ...]}. Exit status: 0 when
 * the run finished (bad rows are output rows, not failures), 2 for bad config or input, 1 otherwise.
 */
public final class GenerateJob {

  private GenerateJob() {}

  public static void main(String[] args) {
    // bin/tokenmill has said it already; spark-submit and plain java have not
    String javaNote = Boolean.getBoolean("tokenmill.java.checked") ? null : JavaSupport.note(JavaSupport.feature());
    if (javaNote != null) System.err.println("tokenmill: " + javaNote);
    int status;
    try {
      status = run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("tokenmill: " + e.getMessage());
      status = 2;
    } catch (Exception e) {
      System.err.println("tokenmill: run failed: " + e);
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  /** Parses {@code -c FILE} / {@code --config FILE} and {@code --set k=v} (repeatable) and runs the job. */
  public static int run(String[] args) throws Exception {
    String config = null;
    List<String> sets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("-c") || a.equals("--config")) && i + 1 < args.length) config = args[++i];
      else if (a.equals("--set") && i + 1 < args.length) sets.add(args[++i]);
      else if (a.startsWith("--set=")) sets.add(a.substring(6));
      else if (a.startsWith("--config=")) config = a.substring(9);
      else throw new IllegalArgumentException("unexpected argument '" + a + "'; usage: -c job.yaml [--set key=value ...]");
    }
    if (config == null && sets.isEmpty()) throw new IllegalArgumentException("usage: -c job.yaml [--set key=value ...]");
    RunSummary summary = execute(JobSettings.from(JobConfig.load(config, sets)));
    summary.print(System.out);
    return 0;
  }

  /** Runs a checked job on the runner it names. */
  public static RunSummary execute(JobSettings settings) throws java.io.IOException {
    return switch (settings.runner()) {
      case "local" -> LocalRunner.run(settings);
      default -> io.tokenmill.jobs.spark.SparkRunner.run(settings);
    };
  }
}
