package io.tokenmill.engine.bench;

import io.tokenmill.engine.generate.GreedyGenerator;
import io.tokenmill.engine.inference.Engine;
import io.tokenmill.engine.inference.EngineMetrics;
import io.tokenmill.engine.inference.GenerationRequest;
import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.inference.RequestHandle;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.sampling.SamplingParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Continuous vs static batching on a reasoning-shaped workload, same model, same process, same max
 * batch: output lengths drawn from a long-tailed (log-normal) distribution clipped to [min, max] and
 * forced with ignore-eos length targets, greedy decoding. Static batching takes requests in arrival
 * order in groups of max batch and starts the next group only when the longest member of the current
 * one is done (finished members stop computing, so the baseline is the generous one).
 */
public final class ReasoningWorkloadBenchmark {

  public record Workload(List<int[]> prompts, int[] outputLengths) {
    public long totalOutputTokens() {
      return Arrays.stream(outputLengths).asLongStream().sum();
    }
  }

  public record Side(double seconds, long outputTokens, double occupancy, long steps) {
    public double tokensPerSecond() {
      return outputTokens / seconds;
    }
  }

  public record Result(Workload workload, int maxBatch, Side continuous, Side staticBatching, EngineMetrics engine) {
    public double speedup() {
      return continuous.tokensPerSecond() / staticBatching.tokensPerSecond();
    }
  }

  private ReasoningWorkloadBenchmark() {}

  /** Log-normal lengths (median {@code median}, sigma 1.0) clipped to [min, max]; prompts 16-64 tokens. */
  public static Workload workload(int requests, int minLen, int maxLen, int median, int vocab, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<int[]> prompts = new ArrayList<>();
    int[] lengths = new int[requests];
    for (int i = 0; i < requests; i++) {
      int p = 16 + rng.nextInt(49);
      int[] prompt = new int[p];
      for (int j = 0; j < p; j++) prompt[j] = rng.nextInt(Math.min(vocab, 256));
      prompts.add(prompt);
      double len = median * Math.exp(rng.nextGaussian());
      lengths[i] = (int) Math.max(minLen, Math.min(maxLen, Math.round(len)));
    }
    return new Workload(prompts, lengths);
  }

  /**
   * Loads the model through {@link LoadedModel} with an engine of {@code maxBatch} sized for the
   * workload, runs it continuously batched, then statically on the same weights.
   */
  public static Result run(Path modelDir, ComputeDevice device, Workload w, int maxBatch) throws Exception {
    int maxSeq = w.prompts().stream().mapToInt(p -> p.length).max().orElse(1)
        + Arrays.stream(w.outputLengths()).max().orElse(1) + 1;
    LoadedModel.Options options = LoadedModel.Options.builder().optMaxBatch(maxBatch).optMaxSeqLen(maxSeq)
        .optMaxTokensPerStep(Math.max(512, maxBatch)).optQueueCapacity(w.prompts().size())
        .optReasoningFormat("none").build();
    try (LoadedModel loaded = LoadedModel.open(modelDir, device, options)) {
      return run(loaded, w, maxBatch);
    }
  }

  private static Result run(LoadedModel loaded, Workload w, int maxBatch) throws Exception {
    DecoderModel model = loaded.model();
    // --- continuous
    long t0 = System.nanoTime();
    EngineMetrics metrics;
    long produced = 0;
    Engine engine = loaded.engine();
    List<RequestHandle> handles = new ArrayList<>();
    for (int i = 0; i < w.prompts().size(); i++) {
      SamplingParams p = SamplingParams.builder().optTemperature(0).optIgnoreEos(true)
          .optMaxNewTokens(w.outputLengths()[i]).build();
      handles.add(engine.submit(new GenerationRequest("r" + i, w.prompts().get(i), p)));
    }
    for (RequestHandle h : handles) produced += h.results().get().get(0).outputTokens();
    metrics = engine.metrics();
    double contSeconds = (System.nanoTime() - t0) / 1e9;
    Side continuous = new Side(contSeconds, produced, metrics.meanOccupancy(), metrics.steps());
    // --- static
    GreedyGenerator gen = new GreedyGenerator(model);
    long steps = 0;
    double occupancySum = 0;
    long staticTokens = 0;
    long t1 = System.nanoTime();
    for (int g = 0; g < w.prompts().size(); g += maxBatch) {
      int end = Math.min(w.prompts().size(), g + maxBatch);
      long[] stepCount = {0};
      double[] occ = {0};
      List<int[]> out = gen.generate(w.prompts().subList(g, end), Arrays.copyOfRange(w.outputLengths(), g, end),
          new int[0], (seqs, r) -> {
            stepCount[0]++;
            occ[0] += seqs.length / (double) maxBatch;
          });
      steps += stepCount[0];
      occupancySum += occ[0];
      for (int[] o : out) staticTokens += o.length;
    }
    Side stat = new Side((System.nanoTime() - t1) / 1e9, staticTokens, occupancySum / steps, steps);
    return new Result(w, maxBatch, continuous, stat, metrics);
  }
}
