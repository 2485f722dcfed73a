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
    long ttftMs,
    long latencyMs,
    String model,
    String device,
    String runId,
    int attempt,
    String error) implements Serializable {

  /** Tokens the model produced for this sample. */
  public int outputTokens() {
    return reasoningTokens + answerTokens;
  }

  /** Values in {@link OutputSchema#COLUMNS} order (boxed; nulls where a column is null). */
  public Object[] values() {
    return new Object[] {id, sample, promptText, reasoning, answer, extracted, correct, reference, finishReason,
        promptTokens, reasoningTokens, answerTokens, ttftMs, latencyMs, model, device, runId, attempt, error};
  }

  /** The inverse of {@link #values()}, for readers of written rows. */
  public static ResultRow fromValues(Object[] v) {
    return new ResultRow((String) v[0], ((Number) v[1]).intValue(), (String) v[2], (String) v[3], (String) v[4],
        (String) v[5], (Boolean) v[6], (String) v[7], (String) v[8], ((Number) v[9]).intValue(),
        ((Number) v[10]).intValue(), ((Number) v[11]).intValue(), ((Number) v[12]).longValue(),
        ((Number) v[13]).longValue(), (String) v[14], (String) v[15], (String) v[16], ((Number) v[17]).intValue(),
        (String) v[18]);
  }
}
