package io.tokenmill.engine.bench;

import io.tokenmill.engine.generate.GreedyGenerator;
import io.tokenmill.engine.runtime.DecoderModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prefill and decode throughput of {@link DecoderModel} at one batch size: B random prompts of P
 * tokens prefilled in one call, then G−1 greedy decode steps of all B sequences (the prefill yields
 * the first of the G tokens), driven by {@link GreedyGenerator}. The prefill time ends when its forward
 * call returns (before its argmax); everything after is decode.
 */
public final class DecodeBenchmark {

  /** One measurement. */
  public record Result(int batch, int promptLen, int gen, double prefillSeconds, double decodeSeconds) {
    public double prefillTokensPerSecond() {
      return batch * (double) promptLen / prefillSeconds;
    }

    public double decodeTokensPerSecond() {
      return batch * (double) (gen - 1) / decodeSeconds;
    }

    public double msPerDecodeStep() {
      return decodeSeconds * 1000 / (gen - 1);
    }
  }

  private DecodeBenchmark() {}

  public static Result run(DecoderModel model, int batch, int promptLen, int gen, long seed) {
    if (gen < 2) throw new IllegalArgumentException("gen must be >= 2");
    SplittableRandom rng = new SplittableRandom(seed);
    int vocab = model.config().vocabSize();
    List<int[]> prompts = new ArrayList<>();
    for (int b = 0; b < batch; b++) prompts.add(rng.ints(promptLen, 0, vocab).toArray());
    // The generator's first step is the prefill; every later one decodes all B sequences (no stop ids).
    long[] prefillDone = {0};
    long t0 = System.nanoTime();
    new GreedyGenerator(model).generate(prompts, gen, new int[0], (seqs, r) -> {
      if (prefillDone[0] == 0) prefillDone[0] = System.nanoTime();
    });
    long t2 = System.nanoTime();
    return new Result(batch, promptLen, gen, (prefillDone[0] - t0) / 1e9, (t2 - prefillDone[0]) / 1e9);
  }
}
