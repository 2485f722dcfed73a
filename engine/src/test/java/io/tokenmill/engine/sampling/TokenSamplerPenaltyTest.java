package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Penalties flip greedy choices exactly where their definitions say: repetition (HF, prompt +
 * output, divide positive / multiply negative), frequency (per output occurrence), presence (once
 * per output token). Greedy makes each case a single deterministic comparison of two logits.
 */
class TokenSamplerPenaltyTest {

  private final TokenSampler sampler = new TokenSampler();

  private int greedy(float[] logits, SamplingParams.Builder b, TokenCounts h) {
    return sampler.sample(logits, b.optTemperature(0).build(), h, 0.5).tokenId();
  }

  private static SamplingParams.Builder params() {
    return SamplingParams.builder();
  }

  @Test
  void repetitionPenaltyDividesPositiveLogits() {
    float[] l = {2.0f, 1.8f, 0.5f};
    TokenCounts prompt0 = new TokenCounts(new int[] {0});
    assertEquals(0, greedy(l, params(), prompt0));
    // 2.0 / 1.2 = 1.667 < 1.8: the seen token loses.
    assertEquals(1, greedy(l, params().optRepetitionPenalty(1.2), prompt0));
    // 2.0 / 1.1 = 1.818 > 1.8: not enough to flip.
    assertEquals(0, greedy(l, params().optRepetitionPenalty(1.1), prompt0));
    // Output tokens count as seen too.
    assertEquals(1, greedy(l, params().optRepetitionPenalty(1.2), TokenCounts.of(new int[0], new int[] {0})));
    // A penalty below 1 rewards repetition: 1.8 / 0.8 = 2.25 beats 2.0.
    TokenCounts prompt1 = new TokenCounts(new int[] {1});
    assertEquals(1, greedy(l, params().optRepetitionPenalty(0.8), prompt1));
  }

  @Test
  void repetitionPenaltyMultipliesNegativeLogits() {
    float[] l = {-1.0f, -1.1f, -5f};
    TokenCounts prompt0 = new TokenCounts(new int[] {0});
    // Dividing would raise -1.0 to -0.83; HF multiplies: -1.2 < -1.1, so the seen token loses.
    assertEquals(1, greedy(l, params().optRepetitionPenalty(1.2), prompt0));
    assertEquals(0, greedy(l, params().optRepetitionPenalty(1.05), prompt0));
  }

  @Test
  void frequencyPenaltyScalesWithOutputCount() {
    float[] l = {3.0f, 2.5f};
    // One occurrence: 3.0 - 0.3 = 2.7 > 2.5; two: 3.0 - 0.6 = 2.4 < 2.5.
    assertEquals(0, greedy(l, params().optFrequencyPenalty(0.3), TokenCounts.of(new int[0], new int[] {0})));
    assertEquals(1, greedy(l, params().optFrequencyPenalty(0.3), TokenCounts.of(new int[0], new int[] {0, 0})));
    // Prompt occurrences do not count (OpenAI / vLLM: output tokens only).
    assertEquals(0, greedy(l, params().optFrequencyPenalty(2), TokenCounts.of(new int[] {0, 0, 0}, new int[0])));
  }

  @Test
  void presencePenaltyAppliesOncePerOutputToken() {
    float[] l = {3.0f, 2.5f};
    // 3.0 - 0.6 = 2.4 < 2.5 after one occurrence.
    assertEquals(1, greedy(l, params().optPresencePenalty(0.6), TokenCounts.of(new int[0], new int[] {0})));
    // 0.4 leaves 2.6 > 2.5 however many times the token occurred.
    assertEquals(0, greedy(l, params().optPresencePenalty(0.4),
        TokenCounts.of(new int[0], new int[] {0, 0, 0, 0, 0})));
    assertEquals(0, greedy(l, params().optPresencePenalty(2), TokenCounts.of(new int[] {0}, new int[0])));
    // A negative penalty encourages reuse: 2.5 + 0.6 = 3.1 > 3.0.
    assertEquals(1, greedy(l, params().optPresencePenalty(-0.6), TokenCounts.of(new int[0], new int[] {1})));
  }

  @Test
  void penaltiesCombineInOrderRepetitionFrequencyPresence() {
    float[] l = {3.0f, 1.2f};
    // Token 0 appeared twice in the output: 3.0 / 1.5 = 2.0, - 2 * 0.25 = 1.5, - 0.4 = 1.1 < 1.2.
    // (Subtracting first and dividing after would give (3.0 - 0.9) / 1.5 = 1.4 > 1.2.)
    TokenCounts h = TokenCounts.of(new int[0], new int[] {0, 0});
    assertEquals(1, greedy(l, params().optRepetitionPenalty(1.5).optFrequencyPenalty(0.25).optPresencePenalty(0.4), h));
    assertEquals(0, greedy(l, params().optRepetitionPenalty(1.5).optFrequencyPenalty(0.25).optPresencePenalty(0.2), h));
  }
}
