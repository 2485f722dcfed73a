package io.tokenmill.jobs.cli;

import io.tokenmill.jobs.GenerateJob;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill run -c job.yaml [--set k=v ...]}: the batch job (Spark in-process by default, or the Arrow runner). */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run a generation job from a YAML config (the same config spark-submit and Airflow use).")
final class RunCommand implements Callable<Integer> {

  @Option(names = {"-c", "--config"}, description = "job YAML (local path or Hadoop URI)")
  String config;

  @Option(names = "--set", description = "override a config key: --set generation.n=4 (repeatable)")
  List<String> sets = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (config == null && sets.isEmpty()) throw new IllegalArgumentException("give -c job.yaml and/or --set key=value");
    RunSummary summary = GenerateJob.execute(JobSettings.from(JobConfig.load(config, sets)));
    summary.print(System.out);
    return 0;
  }
}
