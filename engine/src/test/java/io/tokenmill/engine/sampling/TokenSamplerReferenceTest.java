package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Token-for-token agreement between {@link TokenSampler}'s fast paths (heap, bucketed nucleus,
 * running-sum search, in-place penalties) and the definition-level {@link ReferenceSampler}, over
 * vocabularies shaped to stress them: peaked, flat, heavily tied, partly masked. The two differ
 * only in exp rounding (1e-12 relative), so a draw could disagree only if it fell within ~1e-12 of
 * a boundary; a handful of such coincidences is tolerated, anything more is a real difference.
 */
class TokenSamplerReferenceTest {

  @Test
  void fastPathsAgreeWithTheReference() {
    Random r = new Random(77);
    TokenSampler sampler = new TokenSampler();
    int draws = 0;
    int mismatches = 0;
    for (int v = 0; v < 40; v++) {
      float[] logits = vocabulary(r, v % 5, 500 + r.nextInt(20_000));
      TokenCounts h = TokenCounts.of(r.ints(50, 0, logits.length).toArray(),
          r.ints(30, 0, Math.min(200, logits.length)).toArray());
      for (SamplingParams p : paramsFor(r)) {
        ReferenceSampler.Prepared reference = ReferenceSampler.prepare(logits, p, h);
        for (int t = 0; t < 25; t++) {
          double u = SampleRandom.uniform(v, "ref", 0, t);
          int fast = sampler.sample(logits, p, h, u).tokenId();
          int ref = reference.draw(u);
          draws++;
          if (fast != ref) mismatches++;
        }
      }
    }
    assertTrue(draws > 5000);
    System.out.println("reference agreement: " + mismatches + " mismatches in " + draws + " draws");
    assertTrue(mismatches <= 2, mismatches + " of " + draws + " draws differ from the reference");
  }

  @Test
  void peakedRowsAroundTheLoneTokenBoundaryAgree() {
    // A best token whose probability crosses p: below the boundary the nucleus holds it alone (the sampler's
    // two-pass shortcut), above it the second token joins and some draws must pick it. The best token sits
    // at a different id each row, with a tie for second place in some rows and a low tail behind.
    TokenSampler sampler = new TokenSampler();
    int secondPicked = 0;
    int mismatches = 0;
    for (double topP : new double[] {0.95, 0.5}) {
      double boundary = Math.log(topP / (1 - topP)); // p · (1 + e^-d) = 1 for two tokens
      for (int step = -60; step <= 60; step++) {
        double d = boundary + step * 0.002;
        float[] logits = new float[300];
        java.util.Arrays.fill(logits, -40f);
        int best = Math.floorMod(step * 37, 300);
        logits[best] = 5f;
        logits[(best + 11) % 300] = (float) (5 - d);
        if (step % 3 == 0) logits[(best + 5) % 300] = (float) (5 - d - 1e-3);
        SamplingParams p = SamplingParams.builder().optTemperature(1.0).optTopP(topP).build();
        ReferenceSampler.Prepared reference = ReferenceSampler.prepare(logits, p, null);
        for (int t = 0; t < 20; t++) {
          double u = t == 19 ? TokenSamplerTest.LAST_U : SampleRandom.uniform(3, "lone", step + 60, t);
          int fast = sampler.sample(logits, p, null, u).tokenId();
          if (fast != reference.draw(u)) mismatches++;
          if (fast != best) secondPicked++;
        }
      }
    }
    assertTrue(secondPicked > 50, "rows past the boundary draw their second token too: " + secondPicked);
    assertTrue(mismatches <= 2, mismatches + " draws differ from the reference");
  }

  @Test
  void largeNucleusWithManyTiesAgrees() {
    // A flat tail with ties forces the bucketed top-p path to collect and order thousands of
    // candidates; ties must be ordered by id exactly like the reference.
    float[] logits = new float[151_936];
    Random r = new Random(5);
    for (int i = 0; i < logits.length; i++) logits[i] = r.nextInt(8) * 0.25f;
    TokenSampler sampler = new TokenSampler();
    for (double topP : new double[] {0.3, 0.9, 0.999}) {
      SamplingParams p = SamplingParams.builder().optTopP(topP).build();
      ReferenceSampler.Prepared reference = ReferenceSampler.prepare(logits, p, null);
      for (int t = 0; t < 20; t++) {
        double u = SampleRandom.uniform(1, "big", 0, t);
        assertEquals(reference.draw(u), sampler.sample(logits, p, null, u).tokenId());
      }
    }
  }

  @Test
  void nucleusJustInsideAndJustOutsideTheProbe() {
    // 334 near-equal tokens over a low tail: top-p 0.5 needs ~167 of them (found within the probe
    // of the best 256); 0.85 and 0.95 need ~284 and ~318, more than the probe, so the bucketed path
    // takes over.
    Random r = new Random(6);
    float[] logits = new float[20_000];
    for (int i = 0; i < logits.length; i++) logits[i] = i % 60 == 0 ? 10 + (float) r.nextGaussian() * 0.01f : -8f;
    assertEquals(256, TokenSampler.NUCLEUS_PROBE);
    TokenSampler sampler = new TokenSampler();
    for (double topP : new double[] {0.5, 0.85, 0.95}) {
      SamplingParams p = SamplingParams.builder().optTopP(topP).optMinP(topP > 0.9 ? 0.0 : 0.5).build();
      ReferenceSampler.Prepared reference = ReferenceSampler.prepare(logits, p, null);
      for (int t = 0; t < 200; t++) {
        double u = SampleRandom.uniform(2, "probe", 0, t);
        assertEquals(reference.draw(u), sampler.sample(logits, p, null, u).tokenId(), "top-p " + topP);
      }
    }
  }

  /** Kinds: 0 gaussian, 1 peaked (LLM-like), 2 flat, 3 few distinct values (ties), 4 half masked. */
  static float[] vocabulary(Random r, int kind, int n) {
    float[] l = new float[n];
    for (int i = 0; i < n; i++) {
      l[i] = switch (kind) {
        case 0 -> (float) (r.nextGaussian() * 2);
        case 1 -> (float) (r.nextGaussian() * 1.5 + (r.nextInt(400) == 0 ? 12 + r.nextInt(6) : 0));
        case 2 -> (float) (r.nextGaussian() * 0.05);
        case 3 -> r.nextInt(5) - 2f;
        default -> r.nextBoolean() ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian();
      };
    }
    return l;
  }

  static SamplingParams[] paramsFor(Random r) {
    return new SamplingParams[] {
      SamplingParams.builder().optTemperature(0.3 + r.nextDouble() * 1.5).build(),
      SamplingParams.builder().optTopK(1 + r.nextInt(100)).build(),
      SamplingParams.builder().optTopP(0.05 + r.nextDouble() * 0.95).optTemperature(0.6).build(),
      SamplingParams.builder().optTopK(1 + r.nextInt(60)).optTopP(0.5 + r.nextDouble() * 0.5).build(),
      SamplingParams.builder().optMinP(r.nextDouble() * 0.3).optTemperature(1.2).build(),
      SamplingParams.builder().optTopP(0.95).optMinP(0.05).optRepetitionPenalty(1.2)
          .optFrequencyPenalty(0.4).optPresencePenalty(-0.3).build(),
      SamplingParams.builder().optTopK(20).optTemperature(0.7).optRepetitionPenalty(0.8).build(),
      SamplingParams.builder().optTemperature(0).optRepetitionPenalty(1.5).optPresencePenalty(2).build(),
    };
  }
}
