package io.tokenmill.engine.reasoning;

/**
 * Why a sequence stopped generating. The engine writes one per output row; users filter on it, so the
 * precedence between reasons that can hold at once is fixed here in {@link #resolve} and nowhere else.
 *
 * <p>{@link #ERROR} and {@link #ABORTED} are never produced by {@code resolve}: the engine assigns them
 * directly (a failed forward pass, a cancelled job) and they override everything else.
 */
public enum FinishReason {
  /** The model ended on its own: an EOS token or a stop string. */
  STOP,
  /** A length limit cut the output: {@code max_new_tokens} or the answer budget. */
  LENGTH,
  /** The thinking budget was exhausted and {@code </think>} was forced; the reasoning is truncated. */
  BUDGET,
  /** Generation failed for this sequence. */
  ERROR,
  /** Generation was cancelled before the sequence finished. */
  ABORTED;

  /**
   * The finish reason of a sequence that ended normally. Precedence:
   *
   * <ol>
   *   <li>{@code budgetForced} ⇒ {@link #BUDGET}, even if the answer then ended on EOS: the row's
   *       reasoning was cut short, which is the property users filter on.
   *   <li>else EOS / stop string ⇒ {@link #STOP}, even if it coincided with the last allowed token (the
   *       model did finish).
   *   <li>else {@link #LENGTH} ({@code max_new_tokens} or the answer budget was hit).
   * </ol>
   *
   * Only call this for a sequence that ended by EOS/stop string or by a length limit; anything else is
   * an engine bug (or an ERROR/ABORTED row) and throws rather than silently writing LENGTH.
   */
  public static FinishReason resolve(boolean stoppedByEosOrStopString, boolean hitLengthLimit, boolean budgetForced) {
    if (!stoppedByEosOrStopString && !hitLengthLimit) {
      throw new IllegalArgumentException(
          "a finished sequence must have stopped on EOS/stop string or a length limit;"
              + " assign ERROR or ABORTED directly");
    }
    if (budgetForced) return BUDGET;
    if (stoppedByEosOrStopString) return STOP;
    return LENGTH;
  }

  /** The lower-case name used in output columns ({@code "stop"}, {@code "length"}, ...). */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
