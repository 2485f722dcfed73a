package io.tokenmill.engine.inference;

import io.tokenmill.engine.reasoning.FinishReason;

/**
 * One finished sample. {@code text} is the whole decoded output (think block included, stop string
 * and end-of-sequence token excluded); {@code reasoning} / {@code answer} are its parsed parts (answer is
 * null when reasoning never ended). Times are milliseconds from submission.
 */
public record GenerationResult(
    String id,
    int sample,
    int promptTokens,
    int[] outputIds,
    String text,
    String reasoning,
    String answer,
    int reasoningTokens,
    int answerTokens,
    FinishReason finishReason,
    String error,
    float[] logprobs,
    long queueMs,
    long ttftMs,
    long latencyMs) {

  public int outputTokens() {
    return outputIds.length;
  }

  static GenerationResult failed(String id, int sample, int promptTokens, FinishReason reason, String error,
      long latencyMs) {
    return new GenerationResult(id, sample, promptTokens, new int[0], null, null, null, 0, 0, reason, error,
        null, latencyMs, -1, latencyMs);
  }
}
