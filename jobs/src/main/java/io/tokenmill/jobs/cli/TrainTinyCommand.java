package io.tokenmill.jobs.cli;

import io.tokenmill.reasoner.TinyReasoner;
import io.tokenmill.reasoner.TrainConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill train-tiny}: trains the tiny reasoner and writes a HF model directory. */
@Command(name = "train-tiny", mixinStandardHelpOptions = true,
    description = "Train the tiny reasoning model on synthetic tasks (arithmetic: add, sub, mul, count; "
        + "seating puzzles) with DJL autograd on CPU and write it as a Hugging Face model directory "
        + "(see docs/MODELS.md).")
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

  @Option(names = "--tasks", defaultValue = "add=1,sub=1,mul=1,count=1",
      description = "task mix, name=weight,... of add, sub, mul, count, seating (default: ${DEFAULT-VALUE})")
  String tasks;

  @Option(names = "--shape", description = "decoder shape hidden,mlp,layers,heads,kv_heads (default: 192,512,4,6,2)")
  String shape;

  @Option(names = "--batch", description = "packed rows x tokens per row per step, e.g. 8x2048 (default: 22x352)")
  String batch;

  @Option(names = "--lr", description = "peak learning rate (default: 4e-3)")
  Double lr;

  @Option(names = "--checkpoint-every", defaultValue = "0",
      description = "steps between intermediate model dirs under --checkpoints, 0 = none (default: ${DEFAULT-VALUE})")
  int checkpointEvery;

  @Option(names = "--checkpoints", description = "directory for intermediate models step-NNNNN/ (default: OUT/../NAME-checkpoints)")
  Path checkpoints;

  @Option(names = "--init-from", description = "start from this model dir's weights, e.g. a checkpoint: same shape, or fewer key/value heads or layers, grown without changing its function (heads duplicated, new layers start as identities)")
  Path initFrom;

  @Override
  public Integer call() throws Exception {
    TrainConfig config = TrainConfig.tinyReasoner(steps, seed).withTasks(tasks);
    if (shape != null) {
      int[] v = ints(shape, ",", 5, "--shape hidden,mlp,layers,heads,kv_heads");
      config = config.withShape(v[0], v[1], v[2], v[3], v[4]);
    }
    if (batch != null) {
      int[] v = ints(batch, "x", 2, "--batch ROWSxTOKENS");
      config = config.withBatch(v[0], v[1]);
    }
    if (lr != null) config = config.withLr(lr);
    Path checkpointDir = checkpointEvery <= 0 ? null
        : checkpoints != null ? checkpoints
        : out.toAbsolutePath().resolveSibling(out.getFileName() + "-checkpoints");
    TinyReasoner.train(config, out, force, logEvery, probeEvery, checkpointEvery, checkpointDir, initFrom, line -> {
      System.out.println(line);
      System.out.flush();
    });
    return 0;
  }

  private static int[] ints(String text, String separator, int count, String form) {
    String[] parts = text.split(java.util.regex.Pattern.quote(separator));
    if (parts.length != count) throw new IllegalArgumentException("expected " + form + ", got '" + text + "'");
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      try {
        out[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected " + form + ", got '" + text + "'");
      }
    }
    return out;
  }
}
