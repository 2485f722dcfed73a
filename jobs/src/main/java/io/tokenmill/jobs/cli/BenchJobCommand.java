package io.tokenmill.jobs.cli;

import io.tokenmill.jobs.bench.JobOverheadBenchmark;
import io.tokenmill.jobs.config.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill bench-job -c job.yaml}: Spark's overhead over the Arrow runner on the same prompts. */
@Command(name = "bench-job", mixinStandardHelpOptions = true,
    description = "Run a job's prompts through the Arrow runner and the Spark runner in one process; print both and the ratio.")
final class BenchJobCommand implements Callable<Integer> {

  @Option(names = {"-c", "--config"}, required = true, description = "job YAML")
  String config;

  @Option(names = "--set", description = "override a config key (repeatable)")
  List<String> sets = new ArrayList<>();

  @Option(names = "--scratch", defaultValue = "out/bench-job", description = "output root for both runs (default: ${DEFAULT-VALUE})")
  Path scratch;

  @Override
  public Integer call() throws Exception {
    JobOverheadBenchmark.run(JobConfig.load(config, sets), scratch, System.out);
    return 0;
  }
}
