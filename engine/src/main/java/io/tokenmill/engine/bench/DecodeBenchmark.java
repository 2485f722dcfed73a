package io.tokenmill.engine.bench;

import io.tokenmill.engine.inference.Engine;
import io.tokenmill.engine.inference.GenerationRequest;
import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.inference.RequestHandle;
import io.tokenmill.engine.inference.StepStats;
import io.tokenmill.engine.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prefill and decode throughput of the engine at one batch size, through the same path a job takes
 * ({@link LoadedModel}'s engine): B random prompts of P tokens admitted together and prefilled in one
 * step, then G−1 decode steps of all B sequences (the prefill yields the first of the G tokens), greedy
 * or sampled, after an untimed warm-up run of the same shape ({@link #WARMUP_STEPS}). Reports, per
 * decode step, the wall time, the host time (outside native compute, as {@link StepStats} defines it)
 * and the DJL ops per layer and outside the layers.
 *
 * <p>Ops are counted in a separate short run (counting walks the step's memory scopes, which would
 * slow the timed run); op counts of a decode step do not depend on how many steps ran.
 */
public final class DecodeBenchmark {

  /** Greedy decoding, or the sampled path reasoning models run on (DeepSeek-R1's recommendation). */
  public enum Mode {
    GREEDY,
    SAMPLED;

    /** Greedy, or temperature 0.6 with top-p 0.95; no EOS, so every sequence runs {@code gen} tokens. */
    public SamplingParams params(int gen) {
      SamplingParams.Builder b = this == GREEDY ? SamplingParams.builder().optTemperature(0)
          : SamplingParams.builder().optTemperature(0.6).optTopP(0.95).optSeed(17);
      return b.optMaxNewTokens(gen).optIgnoreEos(true).build();
    }
  }

  /** One measurement; op counts are per decode step (-1 when not counted). */
  public record Result(int batch, Mode mode, int promptLen, int gen, double prefillSeconds, double decodeSeconds,
      int decodeSteps, double hostSecondsPerStep, double runnerSecondsPerStep, double opsPerLayer,
      double otherOpsPerStep) {

    public double prefillTokensPerSecond() {
      return batch * (double) promptLen / prefillSeconds;
    }

    public double decodeTokensPerSecond() {
      return batch * (double) decodeSteps / decodeSeconds;
    }

    public double msPerDecodeStep() {
      return decodeSeconds * 1000 / decodeSteps;
    }

    public double hostMsPerDecodeStep() {
      return hostSecondsPerStep * 1000;
    }
  }

  private DecodeBenchmark() {}

  /**
   * Engine options under which {@link #run} admits and prefills up to {@code maxBatch} prompts of
   * {@code promptLen} tokens in one step and keeps every sequence's KV blocks.
   */
  public static LoadedModel.Options options(int maxBatch, int promptLen, int gen) {
    int seqLen = promptLen + gen + 1;
    return LoadedModel.Options.builder().optMaxBatch(maxBatch).optMaxSeqLen(seqLen)
        .optMaxTokensPerStep(maxBatch * promptLen).optQueueCapacity(maxBatch)
        .optReasoningFormat("none").build();
  }

  /**
   * Most decode steps of the untimed warm-up run before each measurement (never more than the timed
   * run's), whose prompts have the measured length: the JVM compiles the step's Java code and libtorch /
   * MKL set up their kernels for a step's shapes on first use (a 0.5B-shape batch-1 step took 61 ms over
   * its first 30 steps, 46 ms after; the tiny reasoner's first 32 x 32-token prefill 250 ms, later ones
   * 35-57 ms). The peers warm up too: llama.cpp's benches run a warm-up pass, the PyTorch script a short
   * generation.
   */
  static final int WARMUP_STEPS = 24;

  /** Warms up on the batch's shape, times it, then counts its ops in a short third run. */
  public static Result run(LoadedModel model, Mode mode, int batch, int promptLen, int gen, long seed)
      throws Exception {
    if (gen < 2) throw new IllegalArgumentException("gen must be >= 2");
    generate(model.engine(), mode, batch, promptLen, Math.min(gen, WARMUP_STEPS + 1), ~seed, false);
    Timing t = generate(model.engine(), mode, batch, promptLen, gen, seed, false);
    Timing ops = generate(model.engine(), mode, batch, promptLen, Math.min(gen, 4), seed, true);
    return new Result(batch, mode, promptLen, gen, t.prefillSeconds, t.decodeSeconds, t.decodeSteps,
        t.hostSeconds / t.decodeSteps, t.runnerSeconds / t.decodeSteps,
        ops.layerPasses == 0 ? -1 : (double) ops.layerOps / ops.layerPasses,
        ops.decodeSteps == 0 ? -1 : (double) ops.otherOps / ops.decodeSteps);
  }

  private static final class Timing {
    double prefillSeconds;
    double decodeSeconds;
    int decodeSteps;
    double hostSeconds;
    double runnerSeconds;
    long layerOps;
    long layerPasses;
    long otherOps;
  }

  private static Timing generate(Engine engine, Mode mode, int batch, int promptLen, int gen, long seed,
      boolean countOps) throws Exception {
    SplittableRandom rng = new SplittableRandom(seed);
    int vocab = engine.vocabSize();
    Timing t = new Timing();
    List<Long> stepEnds = new ArrayList<>();
    List<StepStats> steps = new ArrayList<>();
    engine.countOps(countOps);
    engine.pause(); // all B prompts are admitted in one step
    engine.observeSteps(s -> {
      stepEnds.add(System.nanoTime());
      steps.add(s);
    });
    long start;
    try {
      List<RequestHandle> hs = new ArrayList<>();
      for (int b = 0; b < batch; b++) {
        int[] prompt = rng.ints(promptLen, 0, vocab).toArray();
        hs.add(engine.submit(new GenerationRequest("bench-" + b, prompt, mode.params(gen))));
      }
      start = System.nanoTime();
      engine.resume();
      for (RequestHandle h : hs) {
        var r = h.results().get().get(0);
        if (r.error() != null) throw new IllegalStateException("benchmark request failed: " + r.error());
      }
    } finally {
      engine.resume();
      engine.observeSteps(null);
      engine.countOps(false);
    }
    if (steps.isEmpty() || steps.get(0).decodeTokens() != 0 || steps.get(0).sequences() != batch) {
      throw new IllegalStateException("the first step did not prefill all " + batch + " prompts: " + steps);
    }
    t.prefillSeconds = (stepEnds.get(0) - start) / 1e9;
    t.decodeSeconds = (stepEnds.get(stepEnds.size() - 1) - stepEnds.get(0)) / 1e9;
    for (StepStats s : steps.subList(1, steps.size())) {
      if (!s.isPureDecode()) continue;
      t.decodeSteps++;
      t.hostSeconds += s.hostNanos() / 1e9;
      t.runnerSeconds += s.runnerNanos() / 1e9;
      if (s.layerOps() >= 0) {
        t.layerOps += s.layerOps();
        t.layerPasses += s.layers();
        t.otherOps += s.otherOps();
      }
    }
    return t;
  }

}
