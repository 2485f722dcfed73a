package io.tokenmill.engine.reasoning;

import java.util.Objects;

/**
 * The reasoning-related columns of one output row. Built by the engine when a sequence finishes, from
 * the parsed text ({@link ReasoningParser}), the sequence's {@link ThinkingController} counts, and how
 * generation ended.
 *
 * @param reasoning think-block text; null when the request did not reason
 * @param answer answer text; null when the reasoning never terminated (e.g. {@code max_new_tokens} hit
 *     inside the think block), so a truncated chain of thought is never mistaken for an answer
 * @param reasoningTokens generated tokens counted as reasoning (see {@link ThinkingController})
 * @param answerTokens generated tokens counted as answer
 * @param finishReason see {@link FinishReason#resolve}
 */
public record ReasoningResult(
    String reasoning, String answer, int reasoningTokens, int answerTokens, FinishReason finishReason) {

  public ReasoningResult {
    Objects.requireNonNull(finishReason, "finishReason");
    if (reasoningTokens < 0 || answerTokens < 0) {
      throw new IllegalArgumentException("token counts must be >= 0");
    }
  }

  /**
   * Combines a finished sequence's parts.
   *
   * @param stoppedByEosOrStopString the model emitted EOS or a stop string matched
   * @param hitLengthLimit {@code max_new_tokens} was reached, or the controller returned STOP for the
   *     answer budget
   */
  public static ReasoningResult of(
      ParsedOutput parsed, ThinkingController controller, boolean stoppedByEosOrStopString, boolean hitLengthLimit) {
    return of(parsed, controller.reasoningTokens(), controller.answerTokens(), controller.budgetForced(),
        stoppedByEosOrStopString, hitLengthLimit || controller.stopped());
  }

  /** As {@link #of(ParsedOutput, ThinkingController, boolean, boolean)}, from raw counts. */
  public static ReasoningResult of(ParsedOutput parsed, int reasoningTokens, int answerTokens, boolean budgetForced,
      boolean stoppedByEosOrStopString, boolean hitLengthLimit) {
    Objects.requireNonNull(parsed, "parsed");
    return new ReasoningResult(parsed.reasoning(), parsed.answer(), reasoningTokens, answerTokens,
        FinishReason.resolve(stoppedByEosOrStopString, hitLengthLimit, budgetForced));
  }
}
