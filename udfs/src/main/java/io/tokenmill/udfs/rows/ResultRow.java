package io.tokenmill.udfs.rows;

import java.io.Serializable;
import java.util.List;

/**
 * One output row: one sample of one prompt, in the output contract's columns (docs/DESIGN.md §4). Every
 * runner writes exactly these, in {@link OutputSchema#COLUMNS} order.
 *
 * @param tokenIds with {@code generation.logprobs}: the output token ids (a final EOS / stop token included)
 * @param logprobs with {@code generation.logprobs}: each output token's log-probability under the raw model
 *     logits, aligned with {@code tokenIds}; null elements for tokens the thinking budget forced
 * @param topLogprobs with {@code generation.top_logprobs}: JSON, per output token the N most likely tokens as
 *     {@code [id, logprob]} pairs, best first ({@code []} for forced tokens)
 */
public record ResultRow(
    String id,
    int sample,
    String promptText,
    String reasoning,
    String answer,
    String extracted,
    Boolean correct,
    String reference,
    String finishReason,
    int promptTokens,
    int reasoningTokens,
    int answerTokens,
    int transitionTokens,
    List<Integer> tokenIds,
    List<Float> logprobs,
    String topLogprobs,
    long ttftMs,
    long latencyMs,
    String model,
    String device,
    String runId,
    int attempt,
    String error) implements Serializable {

  /** Tokens this sample generated: sampled reasoning and answer, and those a thinking budget forced. */
  public int outputTokens() {
    return reasoningTokens + answerTokens + transitionTokens;
  }

  /** Values in {@link OutputSchema#COLUMNS} order (boxed; nulls where a column is null). */
  public Object[] values() {
    return new Object[] {id, sample, promptText, reasoning, answer, extracted, correct, reference, finishReason,
        promptTokens, reasoningTokens, answerTokens, transitionTokens, tokenIds, logprobs, topLogprobs, ttftMs, latencyMs, model, device, runId, attempt, error};
  }

  /**
   * The inverse of {@link #values()}, for readers of written rows. A column an older output lacks
   * ({@link OutputSchema#ADDED_LATER}) arrives as null: a count reads as 0.
   */
  @SuppressWarnings("unchecked")
  public static ResultRow fromValues(Object[] v) {
    return new ResultRow((String) v[0], ((Number) v[1]).intValue(), (String) v[2], (String) v[3], (String) v[4],
        (String) v[5], (Boolean) v[6], (String) v[7], (String) v[8], ((Number) v[9]).intValue(),
        ((Number) v[10]).intValue(), ((Number) v[11]).intValue(), v[12] == null ? 0 : ((Number) v[12]).intValue(),
        (List<Integer>) v[13], (List<Float>) v[14], (String) v[15],
        ((Number) v[16]).longValue(), ((Number) v[17]).longValue(), (String) v[18], (String) v[19], (String) v[20],
        ((Number) v[21]).intValue(), (String) v[22]);
  }
}
