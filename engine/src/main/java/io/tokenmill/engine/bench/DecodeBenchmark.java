package io.tokenmill.engine.bench;

import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.runtime.StepBatch;
import io.tokenmill.engine.runtime.StepResult;
import java.util.SplittableRandom;

/**
 * Prefill and decode throughput of {@link DecoderModel} at one batch size: B random prompts of P
 * tokens prefilled in one call, then G−1 greedy decode steps of all B sequences (the prefill yields
 * the first of the G tokens). Times only the forward calls and the argmax that feeds the next step.
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
    int maxLen = promptLen + gen;
    int blockSize = 16;
    int perSeq = (maxLen + blockSize - 1) / blockSize;
    SplittableRandom rng = new SplittableRandom(seed);
    int vocab = model.config().vocabSize();
    int[][] prompts = new int[batch][promptLen];
    for (int[] p : prompts) for (int i = 0; i < promptLen; i++) p[i] = rng.nextInt(vocab);
    try (KvCache cache = model.newKvCache(perSeq * batch, blockSize, maxLen)) {
      int[][] tables = cache.contiguousTables(batch, maxLen);
      long t0 = System.nanoTime();
      int[] next;
      try (StepResult r = model.forward(cache, new StepBatch(tables, new int[batch], prompts))) {
        next = r.argmax();
      }
      long t1 = System.nanoTime();
      int[] starts = new int[batch];
      java.util.Arrays.fill(starts, promptLen);
      for (int s = 1; s < gen; s++) {
        try (StepResult r = model.forward(cache, StepBatch.decode(tables, starts, next))) {
          next = r.argmax();
        }
        for (int b = 0; b < batch; b++) starts[b]++;
      }
      long t2 = System.nanoTime();
      return new Result(batch, promptLen, gen, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }
  }
}
