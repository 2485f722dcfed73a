package io.tokenmill.jobs.cli;

import io.tokenmill.reasoner.TinyReasoner;
import io.tokenmill.reasoner.TrainConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill train-tiny}: trains the tiny arithmetic reasoner and writes a HF model directory. */
@Command(name = "train-tiny", mixinStandardHelpOptions = true,
    description = "Train the tiny reasoning model on synthetic arithmetic (add, sub, mul, count) with "
        + "DJL autograd on CPU and write it as a Hugging Face model directory (see docs/MODELS.md).")
final class TrainTinyCommand implements Callable<Integer> {

  @Option(names = "--out", required = true, description = "output model directory")
  Path out;

  @Option(names = "--steps", defaultValue = "" + TinyReasoner.DEFAULT_STEPS,
      description = "optimizer steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--seed", defaultValue = "1", description = "weights and data seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--log-every", defaultValue = "25", description = "steps between log lines (default: ${DEFAULT-VALUE})")
  int logEvery;

  @Option(names = "--probe-every", defaultValue = "0",
      description = "steps between held-out exact-reproduction probes, 0 = none (default: ${DEFAULT-VALUE})")
  int probeEvery;

  @Option(names = "--force", description = "replace a non-empty output directory")
  boolean force;

  @Override
  public Integer call() throws Exception {
    TrainConfig config = TrainConfig.tinyReasoner(steps, seed);
    TinyReasoner.train(config, out, force, logEvery, probeEvery, line -> {
      System.out.println(line);
      System.out.flush();
    });
    return 0;
  }
}
