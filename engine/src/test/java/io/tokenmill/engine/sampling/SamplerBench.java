package io.tokenmill.engine.sampling;

import java.util.Random;

/**
 * Micro-benchmark (a main, not a test; lives in test sources so it is not shipped): ns per sampled
 * token for one sequence at vocabulary 151936 (Qwen2/3), for each sampling mode. Run after
 * {@code mvn -pl engine test-compile}:
 *
 * <pre>java -cp engine/target/classes:engine/target/test-classes io.tokenmill.engine.sampling.SamplerBench</pre>
 *
 * <p>Logits are LLM-like: N(0, 2) noise plus a few dozen tokens boosted by 8-14, so the top token
 * has most of the mass, as in decoding; "flat" is N(0, 0.5) noise, the worst case for top-p (a
 * nucleus of ~100k tokens). Each mode cycles 16 rows so the caches see fresh rows as in a batch.
 */
public final class SamplerBench {

  private static final int VOCAB = 151_936;

  public static void main(String[] args) {
    int iters = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    float[][] peaked = rows(new Random(1), false);
    float[][] flat = rows(new Random(2), true);
    TokenCounts history = history(new Random(3));
    SamplingParams t07 = SamplingParams.builder().optTemperature(0.7).build();
    Object[][] modes = {
      {"greedy", SamplingParams.GREEDY, peaked},
      {"temperature 0.7", t07, peaked},
      {"top-k 50, T 0.7", t07.toBuilder().optTopK(50).build(), peaked},
      {"top-p 0.9, T 0.7", t07.toBuilder().optTopP(0.9).build(), peaked},
      {"min-p 0.05, T 0.7", t07.toBuilder().optMinP(0.05).build(), peaked},
      {"top-k 50 + top-p 0.9", t07.toBuilder().optTopK(50).optTopP(0.9).build(), peaked},
      {"top-p 0.9, T 1, flat logits", SamplingParams.builder().optTopP(0.9).build(), flat},
      {"top-p 0.9 + rep/freq penalties (4k history)", t07.toBuilder().optTopP(0.9)
          .optRepetitionPenalty(1.1).optFrequencyPenalty(0.3).build(), peaked},
      {"greedy + logprobs 5", SamplingParams.GREEDY.toBuilder().optLogprobs(5).build(), peaked},
    };
    TokenSampler sampler = new TokenSampler();
    System.out.printf("vocab %d, %d timed iterations per mode, %s%n", VOCAB, iters,
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    for (Object[] m : modes) {
      SamplingParams p = (SamplingParams) m[1];
      float[][] rows = (float[][]) m[2];
      run(sampler, p, rows, history, iters / 2, 0); // warm-up: let the JIT compile this path
      long sink = 0;
      long best = Long.MAX_VALUE;
      for (int rep = 0; rep < 3; rep++) { // best of 3 to damp noise from other processes
        long t0 = System.nanoTime();
        sink += run(sampler, p, rows, history, iters, rep + 1);
        best = Math.min(best, System.nanoTime() - t0);
      }
      System.out.printf("%-45s %9.0f ns/token   (%.1f ms per 64-sequence step)  [%d]%n", m[0],
          (double) best / iters, best / (double) iters * 64 / 1e6, sink % 10);
    }
  }

  private static long run(TokenSampler s, SamplingParams p, float[][] rows, TokenCounts h, int n, int rep) {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      double u = SampleRandom.uniform(rep, "bench", 0, i);
      sum += s.sample(rows[i % rows.length], p, h, u).tokenId();
    }
    return sum;
  }

  private static float[][] rows(Random r, boolean flat) {
    float[][] rows = new float[16][VOCAB];
    for (float[] row : rows) {
      for (int i = 0; i < VOCAB; i++) row[i] = (float) (r.nextGaussian() * (flat ? 0.5 : 2));
      if (!flat) for (int j = 0; j < 40; j++) row[r.nextInt(VOCAB)] += 8 + r.nextInt(7);
    }
    return rows;
  }

  private static TokenCounts history(Random r) {
    TokenCounts h = new TokenCounts(r.ints(2000, 0, VOCAB).toArray());
    for (int i = 0; i < 2000; i++) h.add(r.nextInt(VOCAB));
    return h;
  }
}
