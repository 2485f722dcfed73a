package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Greedy, edge cases, errors, determinism and logprobs; every code path where it matters. */
class TokenSamplerTest {

  static final double LAST_U = 1 - 0x1.0p-53; // the largest draw SampleRandom can return

  /** One params per code path: greedy, full vocabulary, min-p, top-k, top-p, top-k + top-p. */
  static Stream<SamplingParams> paths() {
    return Stream.of(SamplingParams.GREEDY, SamplingParams.builder().build(),
        SamplingParams.builder().optMinP(0.1).build(), SamplingParams.builder().optTopK(3).build(),
        SamplingParams.builder().optTopP(0.9).build(),
        SamplingParams.builder().optTopK(3).optTopP(0.9).optMinP(0.01).build());
  }

  @Test
  void greedyIsArgmaxWithLowestIdOnTies() {
    TokenSampler s = new TokenSampler();
    Random r = new Random(5);
    for (int i = 0; i < 200; i++) {
      float[] l = new float[1000];
      for (int j = 0; j < l.length; j++) l[j] = (float) r.nextGaussian();
      assertEquals(ReferenceSampler.order(l)[0], s.sample(l, SamplingParams.GREEDY, null, 0).tokenId());
    }
    assertEquals(1, s.sample(new float[] {1, 3, 3, 2}, SamplingParams.GREEDY, null, 0.5).tokenId());
    assertEquals(1, s.sample(new float[] {1, 3, 3, 2}, SamplingParams.builder().optTopK(1).build(),
        null, LAST_U).tokenId());
  }

  @Test
  void temperatureToZeroBecomesArgmax() {
    TokenSampler s = new TokenSampler();
    float[] l = {0.5f, 1.0f, 0.9f, -2f};
    for (double t : new double[] {0.01, 1e-4, 1e-6, 0}) {
      SamplingParams p = SamplingParams.builder().optTemperature(t).build();
      for (int i = 0; i < 2000; i++) {
        assertEquals(1, s.sample(l, p, null, SampleRandom.uniform(1, "t", 0, i)).tokenId(), "T=" + t);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void neverReturnsAZeroProbabilityToken(SamplingParams p) {
    TokenSampler s = new TokenSampler();
    float ninf = Float.NEGATIVE_INFINITY;
    float[] l = {ninf, ninf, 1f, ninf, 2f, -800f, ninf};
    for (double u : new double[] {0, 1e-300, 0.5, 0.99999, LAST_U}) {
      int id = s.sample(l, p, null, u).tokenId();
      assertTrue(id == 2 || id == 4, "picked " + id + " at u=" + u);
    }
    // Weight of token 5 underflows to exactly 0 and must never be picked either.
    for (int i = 0; i < 5000; i++) {
      int id = s.sample(l, p, null, SampleRandom.uniform(0, "z", 0, i)).tokenId();
      assertTrue(id == 2 || id == 4, "picked " + id);
    }
  }

  @ParameterizedTest
  @MethodSource("paths")
  void badLogitsFailClearly(SamplingParams p) {
    TokenSampler s = new TokenSampler();
    float ninf = Float.NEGATIVE_INFINITY;
    assertEquals("no token can be sampled: all 3 logits are -Infinity",
        assertThrows(IllegalArgumentException.class, () -> s.sample(new float[] {ninf, ninf, ninf}, p, null, 0.5))
            .getMessage());
    assertEquals("logit[4] is NaN: the model produced a non-number",
        assertThrows(IllegalArgumentException.class,
            () -> s.sample(new float[] {0, 1, 2, 3, Float.NaN, 0}, p, null, 0.5)).getMessage());
    assertEquals("logit[1] is +Infinity: the model overflowed",
        assertThrows(IllegalArgumentException.class,
            () -> s.sample(new float[] {0, Float.POSITIVE_INFINITY, 2, 3, 0}, p, null, 0.5)).getMessage());
  }

  @Test
  void rejectsBadArguments() {
    TokenSampler s = new TokenSampler();
    float[] l = {1, 2};
    SamplingParams p = SamplingParams.builder().build();
    assertThrows(IllegalArgumentException.class, () -> s.sample(l, p, null, 1.0));
    assertThrows(IllegalArgumentException.class, () -> s.sample(l, p, null, -0.1));
    assertThrows(IllegalArgumentException.class, () -> s.sample(l, p, null, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> s.sample(new float[0], p, null, 0.1));
    SamplingParams pen = SamplingParams.builder().optRepetitionPenalty(1.2).build();
    assertThrows(IllegalArgumentException.class, () -> s.sample(l, pen, null, 0.1));
  }

  @Test
  void sameInputsSameTokenWhateverRanBefore() {
    Random r = new Random(8);
    float[] a = new float[5000];
    float[] b = new float[7000];
    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian() * 3;
    for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
    SamplingParams pa = SamplingParams.builder().optTopP(0.95).optTemperature(0.8).optLogprobs(3).build();
    SamplingParams pb = SamplingParams.builder().optTopK(10).optRepetitionPenalty(1.3).build();
    TokenCounts hb = new TokenCounts(new int[] {1, 2, 3});
    TokenSampler fresh = new TokenSampler();
    TokenSampler busy = new TokenSampler();
    for (int t = 0; t < 300; t++) {
      double u = SampleRandom.uniform(9, "a", 0, t);
      SampledToken expected = fresh.sample(a, pa, null, u);
      // The reused sampler handles another sequence in between (its scratch state must not leak).
      busy.sample(b, pb, hb, SampleRandom.uniform(9, "b", 0, t));
      assertEquals(expected, busy.sample(a, pa, null, u));
      assertEquals(expected, new TokenSampler().sample(a.clone(), pa, null, u));
    }
  }

  @Test
  void differentTokenIndexesGiveDifferentDraws() {
    TokenSampler s = new TokenSampler();
    float[] flat = new float[8];
    SamplingParams p = SamplingParams.builder().build();
    Set<Integer> seen = new HashSet<>();
    int changes = 0;
    int prev = -1;
    for (int t = 0; t < 200; t++) {
      int id = s.sample(flat, p, null, SampleRandom.uniform(3, "req", 0, t)).tokenId();
      seen.add(id);
      if (id != prev) changes++;
      prev = id;
    }
    assertEquals(8, seen.size());
    assertTrue(changes > 150, "consecutive token indexes repeat the token too often: " + changes);
  }

  @Test
  void logitsAreUnchangedAfterwardsEvenOnFailure() {
    TokenSampler s = new TokenSampler();
    float[] l = {3f, -2f, 0.5f, 1f};
    float[] copy = l.clone();
    SamplingParams p = SamplingParams.builder().optRepetitionPenalty(2).optFrequencyPenalty(1)
        .optPresencePenalty(1).optTopP(0.9).build();
    s.sample(l, p, TokenCounts.of(new int[] {0, 1}, new int[] {2, 2}), 0.3);
    assertArrayEquals(copy, l);
    // Token 9 is outside this 4-token vocabulary: reported, and the entries penalised before it
    // are put back.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.sample(l, p, TokenCounts.of(new int[] {0, 1, 9}, new int[0]), 0.3));
    assertEquals("history token 9 is outside the vocabulary of 4 logits", e.getMessage());
    assertArrayEquals(copy, l);
  }

  @Test
  void logprobsAreTheRawLogSoftmax() {
    Random r = new Random(4);
    float[] l = new float[2000];
    for (int i = 0; i < l.length; i++) l[i] = (float) (r.nextGaussian() * 2.5);
    l[17] = Float.NEGATIVE_INFINITY;
    double[] ref = ReferenceSampler.logSoftmax(l);
    Integer[] order = ReferenceSampler.order(l);
    TokenCounts h = TokenCounts.of(new int[] {order[0]}, new int[] {order[1], order[1]});
    SamplingParams p = SamplingParams.builder().optTemperature(0.7).optTopP(0.9)
        .optRepetitionPenalty(1.3).optFrequencyPenalty(0.5).optLogprobs(5).build();
    TokenSampler s = new TokenSampler();
    for (int t = 0; t < 50; t++) {
      SampledToken tok = s.sample(l, p, h, SampleRandom.uniform(0, "lp", 0, t));
      // Raw model logprobs: the penalties and temperature used for sampling do not enter.
      assertEquals(ref[tok.tokenId()], tok.logprob(), 1e-5);
      assertEquals(5, tok.topIds().length);
      double mass = 0;
      for (int j = 0; j < 5; j++) {
        assertEquals((int) order[j], tok.topIds()[j]);
        assertEquals(ref[order[j]], tok.topLogprobs()[j], 1e-5);
        mass += Math.exp(tok.topLogprobs()[j]);
      }
      assertTrue(mass <= 1 + 1e-6, "top logprobs exceed probability 1: " + mass);
      assertTrue(tok.logprob() <= 0);
    }
  }

  @Test
  void logprobsKZeroAndNullAndLargerThanTheVocabulary() {
    TokenSampler s = new TokenSampler();
    float[] l = {0f, (float) Math.log(3)};
    SampledToken zero = s.sample(l, SamplingParams.builder().optTemperature(0).optLogprobs(0).build(), null, 0);
    assertEquals(1, zero.tokenId());
    assertEquals(Math.log(0.75), zero.logprob(), 1e-6);
    assertEquals(0, zero.topIds().length);
    assertEquals(0, zero.topLogprobs().length);
    SampledToken none = s.sample(l, SamplingParams.GREEDY, null, 0);
    assertTrue(Float.isNaN(none.logprob()));
    assertEquals(0, none.topIds().length);
    SampledToken all = s.sample(l, SamplingParams.builder().optLogprobs(10).build(), null, 0.9);
    assertArrayEquals(new int[] {1, 0}, all.topIds());
    assertEquals(1.0, Math.exp(all.topLogprobs()[0]) + Math.exp(all.topLogprobs()[1]), 1e-6);
  }
}
