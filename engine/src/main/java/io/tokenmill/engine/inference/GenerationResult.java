package io.tokenmill.engine.inference;

import io.tokenmill.engine.reasoning.FinishReason;

/**
 * One finished sample. {@code text} is the whole decoded output (think block included, stop string
 * and end-of-sequence token excluded); {@code reasoning} / {@code answer} are its parsed parts (answer is
 * null when reasoning never ended). {@code logprobs}, when requested, has one entry per output token: the
 * chosen token's log-probability and the top-k alternatives (NaN for tokens the thinking budget forced).
 * Times are milliseconds from submission.
 *
 * <p>Token counts: {@code reasoningTokens} and {@code answerTokens} count the tokens the model SAMPLED in each
 * part ({@code <think>}/{@code </think>} markers it wrote included); {@code transitionTokens} counts the tokens
 * a thinking budget forced instead (the transition text, {@code </think>}, the blank line after it), so under a
 * budget of N, reasoningTokens &le; N. The reasoning TEXT still ends with the transition text, as the model saw
 * it. The three add up to the output tokens minus a terminating EOS / stop token id.
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
    int transitionTokens,
    FinishReason finishReason,
    String error,
    java.util.List<io.tokenmill.engine.sampling.SampledToken> logprobs,
    long queueMs,
    long ttftMs,
    long latencyMs) {

  public int outputTokens() {
    return outputIds.length;
  }

  static GenerationResult failed(String id, int sample, int promptTokens, FinishReason reason, String error,
      long latencyMs) {
    return new GenerationResult(id, sample, promptTokens, new int[0], null, null, null, 0, 0, 0, reason, error,
        null, latencyMs, -1, latencyMs);
  }
}
