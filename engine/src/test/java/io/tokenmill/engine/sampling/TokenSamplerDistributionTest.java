package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Empirical frequencies over 50k draws (token index 0..49999 of one stream; 20k for the 3000-token
 * vocabulary) against the intended
 * distribution, written out by hand for each filter so the expectations do not share code with the
 * sampler. Filtered-out tokens must never appear; kept ones must be within 5 standard deviations.
 */
class TokenSamplerDistributionTest {

  static final int N = 50_000;
  /** p = [.563, .207, .126, .028, .076] at T = 1. */
  static final float[] L = {2.0f, 1.0f, 0.5f, -1.0f, 0.0f};

  @ParameterizedTest
  @ValueSource(doubles = {0.5, 1.0, 1.7})
  void temperatureFollowsSoftmaxOfLogitsOverT(double t) {
    double[] expected = softmax(L, t, 0, 1, 2, 3, 4);
    assertMatches(expected, frequencies(L, params().optTemperature(t).build(), null));
  }

  @Test
  void topKRenormalisesTheKBest() {
    double[] expected = softmax(L, 1, 0, 1, 2);
    assertMatches(expected, frequencies(L, params().optTopK(3).build(), null));
  }

  @Test
  void topPKeepsTheTokenThatCrossesP() {
    // Sorted: 0 (.563), 1 (cum .770), 2 (cum .896), 4, 3. Token 2 starts below .8, so it is in;
    // token 4 starts at .896 >= .8, so it and token 3 are out.
    double[] expected = softmax(L, 1, 0, 1, 2);
    assertMatches(expected, frequencies(L, params().optTopP(0.8).build(), null));
  }

  @Test
  void topPOnAnExactBoundaryDropsTheNextToken() {
    // Four equal weights are exactly 0.25 each, so the running mass hits 0.5 exactly after two
    // tokens: HF drops tokens whose ascending cumulative probability is <= 1 - p, i.e. tokens
    // 2 and 3 here (ties ordered by id). Just above 0.5, token 2 is needed to reach p.
    float[] flat = {0f, 0f, 0f, 0f};
    assertMatches(new double[] {0.5, 0.5, 0, 0}, frequencies(flat, params().optTopP(0.5).build(), null));
    assertMatches(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0, 0},
        frequencies(flat, params().optTopP(0.5000001).build(), null));
    assertMatches(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0, 0},
        frequencies(flat, params().optTopP(0.75).build(), null));
    // Same through the top-k path (k < vocab).
    float[] flat5 = {0f, 0f, 0f, 0f, -3f};
    assertMatches(new double[] {0.5, 0.5, 0, 0, 0},
        frequencies(flat5, params().optTopK(4).optTopP(0.5).build(), null));
  }

  @Test
  void topKThenTopPOverTheRenormalisedK() {
    // Top-4 = {0, 1, 2, 4}, renormalised p = [.579, .213, .129, .078]: token 1 starts at .579 < .7
    // and is kept; token 2 starts at .792 >= .7 and is dropped.
    double[] expected = softmax(L, 1, 0, 1);
    assertMatches(expected, frequencies(L, params().optTopK(4).optTopP(0.7).build(), null));
    // p = .78: the full vocabulary would keep token 2 (.770 < .78) but within top-4 it starts at
    // .792 >= .78, so the renormalisation over k decides.
    assertMatches(expected, frequencies(L, params().optTopK(4).optTopP(0.78).build(), null));
    assertMatches(softmax(L, 1, 0, 1, 2), frequencies(L, params().optTopP(0.78).build(), null));
  }

  @Test
  void minPDropsTokensBelowMinPTimesTheMax() {
    // Relative weights at T = 1: [1, .368, .223, .050, .135]: min-p .2 keeps {0, 1, 2}.
    assertMatches(softmax(L, 1, 0, 1, 2), frequencies(L, params().optMinP(0.2).build(), null));
    // After temperature 2: [1, .607, .472, .223, .368]: min-p .4 keeps {0, 1, 2}; .3 adds 4.
    assertMatches(softmax(L, 2, 0, 1, 2),
        frequencies(L, params().optTemperature(2).optMinP(0.4).build(), null));
    assertMatches(softmax(L, 2, 0, 1, 2, 4),
        frequencies(L, params().optTemperature(2).optMinP(0.3).build(), null));
    // Through the top-k and top-p paths as well.
    assertMatches(softmax(L, 1, 0, 1, 2), frequencies(L, params().optTopK(4).optMinP(0.2).build(), null));
    assertMatches(softmax(L, 1, 0, 1, 2), frequencies(L, params().optTopP(0.99).optMinP(0.2).build(), null));
  }

  @Test
  void penaltiesShiftTheDistributionAsSpecified() {
    float[] flat = {1f, 1f, 1f, 1f};
    // Prompt has token 1; output so far: 0, 0, 0, 2.
    TokenCounts h = TokenCounts.of(new int[] {1}, new int[] {0, 0, 0, 2});
    SamplingParams p = params().optRepetitionPenalty(1.5).optFrequencyPenalty(0.2).optPresencePenalty(0.3).build();
    // Repetition divides positive logits of seen tokens (0, 1, 2) by 1.5; frequency and presence
    // apply to output tokens only: token 0 loses 3 * 0.2 + 0.3, token 2 loses 0.2 + 0.3.
    float[] penalised = {1f / 1.5f - 0.9f, 1f / 1.5f, 1f / 1.5f - 0.5f, 1f};
    assertMatches(softmax(penalised, 1, 0, 1, 2, 3), frequencies(flat, p, h));
  }

  @Test
  void largeVocabularyMatchesTheReferenceDistribution() {
    java.util.Random r = new java.util.Random(11);
    float[] logits = new float[3000];
    for (int i = 0; i < logits.length; i++) logits[i] = (float) (r.nextGaussian() * 2);
    for (SamplingParams p : new SamplingParams[] {
        params().optTopP(0.9).build(), params().optTemperature(0.6).optTopP(0.5).build(),
        params().optTopK(40).optTemperature(1.3).build(), params().optMinP(0.1).build()}) {
      // 20k draws here (3000 tokens per draw); the tolerance scales with the count.
      assertMatches(ReferenceSampler.probabilities(logits, p, null), frequencies(logits, p, null, 20_000), 20_000);
    }
  }

  static SamplingParams.Builder params() {
    return SamplingParams.builder().optSeed(2024);
  }

  /** softmax(l / t) restricted to the given tokens, zero elsewhere. */
  static double[] softmax(float[] l, double t, int... keep) {
    double[] p = new double[l.length];
    double z = 0;
    for (int i : keep) z += Math.exp(l[i] / t);
    for (int i : keep) p[i] = Math.exp(l[i] / t) / z;
    return p;
  }

  static double[] frequencies(float[] logits, SamplingParams p, TokenCounts h) {
    return frequencies(logits, p, h, N);
  }

  static double[] frequencies(float[] logits, SamplingParams p, TokenCounts h, int n) {
    TokenSampler s = new TokenSampler();
    double[] f = new double[logits.length];
    for (int t = 0; t < n; t++) {
      f[s.sample(logits, p, h, SampleRandom.uniform(p.seed(), "dist", 0, t)).tokenId()] += 1.0 / n;
    }
    return f;
  }

  static void assertMatches(double[] expected, double[] freq) {
    assertMatches(expected, freq, N);
  }

  static void assertMatches(double[] expected, double[] freq, int n) {
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] == 0) {
        assertEquals(0.0, freq[i], "token " + i + " must be filtered out");
      } else {
        // 5 sd of a binomial frequency, plus 3/N for the Poisson-like tail of rare tokens.
        double tol = 5 * Math.sqrt(expected[i] * (1 - expected[i]) / n) + 3.0 / n;
        assertEquals(expected[i], freq[i], tol, "token " + i);
      }
    }
  }
}
