package io.tokenmill.reasoner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Tasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The training loop: draw problems from the training stream, pack them into a batch, forward and
 * backward under a gradient collector, clip, AdamW, repeat. Each step's arrays live in one sub-manager
 * closed at the end of the step, so memory stays flat.
 */
public final class Trainer {

  /** One logged interval: mean loss over the interval, last lr and gradient norm, throughput. */
  public record LogLine(int step, double lr, double loss, double gradNorm, double tokensPerSecond,
      double fill, long rssMb) {
    @Override
    public String toString() {
      return String.format("step %5d  lr %.2e  loss %.4f  |g| %.3f  %6.0f tok/s  fill %.2f  rss %d MB",
          step, lr, loss, gradNorm, tokensPerSecond, fill, rssMb);
    }
  }

  /** Called every {@code checkpointEvery} steps with the step count and the log so far (e.g. to export). */
  @FunctionalInterface
  public interface Checkpoint {
    void save(int step, List<LogLine> log) throws java.io.IOException;
  }

  private final TrainConfig config;
  private final ProblemEncoder encoder;
  private final int padId;
  private int skipped;

  public Trainer(TrainConfig config, ProblemEncoder encoder) {
    this.config = config;
    this.encoder = encoder;
    this.padId = encoder.tokenizer().eosIds()[0];
  }

  /** Trains {@code model} in place for {@code config.steps()} steps; returns one line per log interval. */
  public List<LogLine> run(TrainableDecoder model, int logEvery, Consumer<LogLine> log) {
    return run(model, logEvery, 0, log, m -> {});
  }

  /**
   * As {@link #run(TrainableDecoder, int, Consumer)}, and every {@code probeEvery} steps (0 = never)
   * reports the exact-reproduction rate on held-out problems (see {@link ForcedAccuracy}).
   */
  public List<LogLine> run(TrainableDecoder model, int logEvery, int probeEvery, Consumer<LogLine> log,
      Consumer<String> probeLog) {
    return run(model, logEvery, probeEvery, log, probeLog, 0, null);
  }

  /**
   * As above, and every {@code checkpointEvery} steps (0 = never; not after the last step, which the
   * caller exports anyway) hands the model's state to {@code checkpoint}, so a long run leaves usable
   * intermediate models behind.
   */
  public List<LogLine> run(TrainableDecoder model, int logEvery, int probeEvery, Consumer<LogLine> log,
      Consumer<String> probeLog, int checkpointEvery, Checkpoint checkpoint) {
    ForcedAccuracy probe = probeEvery <= 0 ? null : new ForcedAccuracy(probeProblems(config), encoder,
        config.rows(), config.rowLength(), padId);
    Tasks.TrainingStream stream = new Tasks.TrainingStream(config.seed(), config.taskMix());
    AdamW optimizer = new AdamW(model.parameters(), model.manager(), config);
    List<Trainer.LogLine> lines = new ArrayList<>();
    int budget = config.rows() * config.rowLength();
    double lossSum = 0;
    long tokens = 0;
    long slots = 0;
    int inInterval = 0;
    long t0 = System.nanoTime();
    for (int step = 0; step < config.steps(); step++) {
      List<PackedBatch> batches = stepBatches(stream, budget);
      int targets = batches.stream().mapToInt(PackedBatch::targetCount).sum();
      double lr = config.lrAt(step);
      double norm;
      double loss = 0;
      try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
        for (PackedBatch batch : batches) {
          // One backward per bucket; gradients add up. Each bucket's graph dies with its scope.
          try (NDManager scope = model.manager().newSubManager()) {
            NDArray part = model.lossSum(scope, batch).div(targets);
            gc.backward(part);
            loss += part.getFloat();
          }
          tokens += realTokens(batch);
          slots += (long) batch.rows() * batch.length();
        }
      }
      norm = optimizer.step(lr);
      if (!Double.isFinite(norm)) { // AdamW left the weights as they were
        System.err.printf("step %d: gradient norm %s (loss %s), update skipped%n", step + 1, norm, loss);
      }
      lossSum += loss;
      inInterval++;
      if ((step + 1) % logEvery == 0 || step + 1 == config.steps()) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        LogLine line = new LogLine(step + 1, lr, lossSum / inInterval, norm, tokens / seconds,
            (double) tokens / slots, rssMb());
        lines.add(line);
        log.accept(line);
        lossSum = 0;
        inInterval = 0;
        tokens = 0;
        slots = 0;
        t0 = System.nanoTime();
      }
      if (probe != null && ((step + 1) % probeEvery == 0 || step + 1 == config.steps())) {
        long p0 = System.nanoTime();
        StringBuilder sb = new StringBuilder("probe step " + (step + 1) + ":");
        probe.measure(model, model.manager()).forEach((k, v) -> sb.append(String.format("  %s %.2f", k, v)));
        probeLog.accept(sb.toString());
        t0 += System.nanoTime() - p0; // keep probe time out of the throughput figure
      }
      if (checkpoint != null && checkpointEvery > 0 && (step + 1) % checkpointEvery == 0 && step + 1 < config.steps()) {
        long c0 = System.nanoTime();
        try {
          checkpoint.save(step + 1, List.copyOf(lines));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException("checkpoint at step " + (step + 1) + " failed", e);
        }
        t0 += System.nanoTime() - c0;
      }
    }
    return lines;
  }

  /** 12 held-out problems of each trained task and level (a fixed set, disjoint from training). */
  static List<Problem> probeProblems(TrainConfig config) {
    List<Problem> out = new ArrayList<>();
    for (var task : config.taskMix().tasks()) out.addAll(Tasks.heldOut(task, 12, 7));
    return out;
  }

  /**
   * Length buckets: a sequence goes into rows of the shortest bucket that holds it. Attention costs
   * rows x length² whatever the rows hold, so short problems packed into short rows cost a fraction
   * of what they would in full-length rows (measured: a step ~35% faster than one 320-token layout).
   */
  private int[] buckets() {
    int max = config.rowLength();
    if (max <= 512) return new int[] {max / 4, max / 2, 3 * max / 4, max};
    // Long rows (seating: 650-2,050-token problems): steps of 128 tokens, so a problem sits in a row
    // barely longer than itself instead of sharing a 2,048² attention block with another.
    int[] out = new int[(max + 127) / 128];
    for (int i = 0; i < out.length; i++) out[i] = Math.min(max, 128 * (i + 1));
    return out;
  }

  /** Draws problems until {@code budget} tokens and packs them by length bucket. */
  List<PackedBatch> stepBatches(Tasks.TrainingStream stream, int budget) {
    List<PackedBatch.Sequence> seqs = new ArrayList<>();
    int drawn = 0;
    while (drawn < budget) {
      Problem p = stream.next();
      PackedBatch.Sequence s = encoder.sequence(p);
      if (s.ids().length > config.rowLength()) {
        // A long run must not die on one outsized problem: skip it, and say so.
        if (skipped++ < 10) System.err.println("skipping a " + s.ids().length + "-token problem (rows hold "
            + config.rowLength() + "): " + p.id());
        continue;
      }
      seqs.add(s);
      drawn += s.ids().length;
    }
    return PackedBatch.packBucketed(seqs, buckets(), padId);
  }

  private static long realTokens(PackedBatch b) {
    long n = 0;
    for (int s : b.sequence()) if (s >= 0) n++;
    return n;
  }

  /** Resident set size from /proc (0 where there is none). */
  static long rssMb() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }
}
