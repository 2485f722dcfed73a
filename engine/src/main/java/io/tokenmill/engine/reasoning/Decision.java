package io.tokenmill.engine.reasoning;

import java.util.Objects;

/**
 * What the scheduler must do after {@link ThinkingController#onToken} has seen a sampled token. The
 * sampled token itself is always kept; the decision is about what happens next.
 *
 * @param kind the action
 * @param forcedTokens for {@link Kind#FORCE}: token ids to append next, in order, without sampling (each
 *     is fed through the model like a sampled token); empty otherwise
 * @param finishReason for {@link Kind#STOP}: the reason to record; null otherwise
 */
public record Decision(Kind kind, int[] forcedTokens, FinishReason finishReason) {

  public enum Kind {
    /** Keep sampling. */
    CONTINUE,
    /**
     * Append {@link #forcedTokens()} and then keep sampling. Do NOT pass the forced tokens to
     * {@code onToken}: the controller has already counted them.
     */
    FORCE,
    /** The sequence is finished after the token just seen. */
    STOP
  }

  private static final int[] NONE = new int[0];
  public static final Decision CONTINUE = new Decision(Kind.CONTINUE, NONE, null);

  public Decision {
    Objects.requireNonNull(kind, "kind");
    forcedTokens = forcedTokens == null ? NONE : forcedTokens.clone();
    if ((kind == Kind.FORCE) != (forcedTokens.length > 0)) {
      throw new IllegalArgumentException("forced tokens are required for FORCE and only for FORCE");
    }
    if ((kind == Kind.STOP) != (finishReason != null)) {
      throw new IllegalArgumentException("a finish reason is required for STOP and only for STOP");
    }
  }

  public static Decision force(int[] tokens) {
    return new Decision(Kind.FORCE, tokens, null);
  }

  public static Decision stop(FinishReason reason) {
    return new Decision(Kind.STOP, NONE, reason);
  }

  @Override
  public int[] forcedTokens() {
    return forcedTokens.clone();
  }
}
