package io.tokenmill.udfs.rows;

import java.io.Serializable;

/**
 * One output row: one sample of one prompt, in the output contract's columns (docs/DESIGN.md §4). Every
 * runner writes exactly these, in {@link OutputSchema#COLUMNS} order.
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
        promptTokens, reasoningTokens, answerTokens, transitionTokens, ttftMs, latencyMs, model, device, runId, attempt, error};
  }

  /**
   * The inverse of {@link #values()}, for readers of written rows. A column an older output lacks
   * ({@link OutputSchema#ADDED_LATER}) arrives as null: a count reads as 0.
   */
  public static ResultRow fromValues(Object[] v) {
    return new ResultRow((String) v[0], ((Number) v[1]).intValue(), (String) v[2], (String) v[3], (String) v[4],
        (String) v[5], (Boolean) v[6], (String) v[7], (String) v[8], ((Number) v[9]).intValue(),
        ((Number) v[10]).intValue(), ((Number) v[11]).intValue(), v[12] == null ? 0 : ((Number) v[12]).intValue(),
        ((Number) v[13]).longValue(), ((Number) v[14]).longValue(), (String) v[15], (String) v[16], (String) v[17],
        ((Number) v[18]).intValue(), (String) v[19]);
  }
}
