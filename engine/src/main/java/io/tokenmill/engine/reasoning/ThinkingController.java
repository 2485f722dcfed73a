package io.tokenmill.engine.reasoning;

import java.util.Objects;

/**
 * Per-sequence state machine over generated token ids that tracks whether the sequence is reasoning
 * or answering, counts both, and enforces the thinking budget (s1-style budget forcing) and the answer
 * budget. The engine's scheduler creates one per sequence and calls {@link #onToken} with every
 * SAMPLED token that becomes part of the output, after it has checked for EOS / stop strings (a
 * terminating EOS is not output and is not passed in). It acts on the returned {@link Decision}.
 *
 * <p>Phases: REASONING (inside the think block), ANSWER (after it), and, for a format whose prompt does
 * not open the block, PRELUDE: tokens seen before any marker. PRELUDE tokens count as answer (the model
 * may be answering directly) until a {@code <think>} or {@code </think>} shows they were reasoning; then
 * they are moved to the reasoning count, exactly as {@link ReasoningParser} moves that text.
 *
 * <p>Token counting rules:
 *
 * <ul>
 *   <li>{@code <think>} and {@code </think>} count as reasoning when they open/close the block; in the
 *       answer phase they are ordinary answer tokens and change nothing.
 *   <li>Forced tokens are counted here, when FORCE is returned: the transition tokens and
 *       {@code </think>} as reasoning, {@code afterThinkIds} as answer. Forced tokens also count toward
 *       {@code max_new_tokens}, which the engine enforces.
 *   <li>The thinking budget N caps reasoning tokens the model SAMPLES (markers included): when the N-th
 *       one is not {@code </think>}, the controller forces {@code transitionIds + </think> +
 *       afterThinkIds}, so {@link #reasoningTokens()} ends at N + transitionIds.length + 1.
 *   <li>A thinking budget of 0 answers at once: {@link #startForced()} gives that same sequence (preceded
 *       by {@code <think>} when the prompt does not open the block) to force before anything is sampled.
 *   <li>The answer budget M caps {@link #answerTokens()} (forced {@code afterThinkIds} included): the
 *       M-th answer token is kept and STOP is returned. With format NONE every token is an answer token.
 * </ul>
 *
 * <p>Finish reason: see {@link FinishReason#resolve}. Forcing sets {@link #budgetForced()}, which makes
 * the row BUDGET however it ends; an answer-budget STOP is a length limit (LENGTH unless forced).
 *
 * <p>Not thread-safe; one instance per sequence.
 */
public final class ThinkingController {
  private enum Phase { PRELUDE, REASONING, ANSWER }

  private final int thinkStartId;
  private final int thinkEndId;
  private final Integer thinkingBudget;
  private final Integer answerBudget;
  private final int[] forcedSequence;
  private final int transitionLength;
  /** Tokens of the forced run that count as reasoning: {@code <think>} if forced, transition, {@code </think>}. */
  private int forcedReasoningLength;

  private Phase phase;
  private int reasoningTokens;
  private int answerTokens;
  private int preludeTokens;
  private boolean budgetForced;
  private boolean reasoningTerminated;
  private boolean stopped;

  /**
   * @param format the request's effective format ({@link ReasoningFormat#effective}); NONE counts every
   *     token as answer and ignores the think ids and the thinking budget
   * @param thinkStartId id of {@code <think>}, or -1 if the vocabulary has none
   * @param thinkEndId id of {@code </think>}, or -1; required for any budget on a reasoning format
   * @param startsInsideThink the prompt ends with {@code <think>} ({@link ReasoningFormat#startsInsideThink})
   * @param thinkingBudget max sampled reasoning tokens; 0 answers at once ({@link #startForced}); null or
   *     negative means unlimited
   * @param answerBudget max answer tokens; null or <= 0 means only {@code max_new_tokens} applies
   * @param transitionIds tokens forced before {@code </think>} when the budget runs out; may be empty
   * @param afterThinkIds tokens forced right after the forced {@code </think>}; may be empty
   */
  public ThinkingController(ReasoningFormat format, int thinkStartId, int thinkEndId, boolean startsInsideThink,
      Integer thinkingBudget, Integer answerBudget, int[] transitionIds, int[] afterThinkIds) {
    Objects.requireNonNull(format, "format");
    int[] transition = transitionIds == null ? new int[0] : transitionIds.clone();
    int[] after = afterThinkIds == null ? new int[0] : afterThinkIds.clone();
    boolean reasons = format != ReasoningFormat.NONE;
    this.thinkingBudget = reasons && thinkingBudget != null && thinkingBudget >= 0 ? thinkingBudget : null;
    this.answerBudget = answerBudget != null && answerBudget > 0 ? answerBudget : null;
    if (!reasons && startsInsideThink) {
      throw new IllegalArgumentException("format NONE cannot start inside a think block");
    }
    if (reasons && thinkEndId < 0 && (this.thinkingBudget != null || this.answerBudget != null)) {
      throw new IllegalArgumentException("a thinking or answer budget needs </think> as a single token, but the "
          + "tokenizer has none (thinkEndId = -1); unset the budget or use reasoning_format=none");
    }
    if (thinkStartId >= 0 && thinkStartId == thinkEndId) {
      throw new IllegalArgumentException("<think> and </think> have the same id " + thinkStartId);
    }
    if (this.thinkingBudget != null && this.answerBudget != null && this.answerBudget <= after.length) {
      // A forced run cannot also stop, so the answer budget must leave room for one sampled token.
      throw new IllegalArgumentException("answer budget " + this.answerBudget + " must exceed the "
          + after.length + " forced after-think tokens");
    }
    this.thinkStartId = reasons ? thinkStartId : -1;
    this.thinkEndId = reasons ? thinkEndId : -1;
    this.transitionLength = transition.length;
    this.forcedSequence = new int[transition.length + 1 + after.length];
    System.arraycopy(transition, 0, forcedSequence, 0, transition.length);
    forcedSequence[transition.length] = thinkEndId;
    System.arraycopy(after, 0, forcedSequence, transition.length + 1, after.length);
    this.phase = !reasons ? Phase.ANSWER : startsInsideThink ? Phase.REASONING : Phase.PRELUDE;
    this.forcedReasoningLength = transition.length + 1;
  }

  /**
   * The tokens to force before the first sampled one: with a thinking budget of 0 the whole end of the
   * think block ({@code <think>} first when the prompt leaves opening it to the model, then the transition,
   * {@code </think>} and the after-think tokens), counted as {@link #onToken}'s forcing counts them; else
   * none. Call once, before any token.
   */
  public int[] startForced() {
    if (thinkingBudget == null || thinkingBudget > 0 || phase == Phase.ANSWER || reasoningTokens + answerTokens > 0) {
      return new int[0];
    }
    int open = phase == Phase.PRELUDE && thinkStartId >= 0 ? 1 : 0;
    int[] forced = new int[open + forcedSequence.length];
    if (open == 1) forced[0] = thinkStartId;
    System.arraycopy(forcedSequence, 0, forced, open, forcedSequence.length);
    forcedReasoningLength = open + transitionLength + 1;
    reasoningTokens += forcedReasoningLength;
    answerTokens += forcedSequence.length - transitionLength - 1;
    budgetForced = true;
    closeBlock();
    return forced;
  }

  /** How many of the forced tokens count as reasoning ({@code <think>} when forced, transition, {@code </think>}). */
  public int forcedReasoningLength() {
    return forcedReasoningLength;
  }

  /**
   * Accounts for one sampled token and says what to do next. Throws once the controller has returned
   * STOP: feeding tokens after that is a scheduler bug.
   */
  public Decision onToken(int tokenId) {
    if (stopped) throw new IllegalStateException("sequence already stopped by the answer budget");
    if (tokenId < 0) throw new IllegalArgumentException("token id must be >= 0: " + tokenId);
    switch (phase) {
      case REASONING:
        reasoningTokens++;
        if (tokenId == thinkEndId) return closeBlock();
        return checkThinkingBudget();
      case PRELUDE:
        if (tokenId == thinkStartId || tokenId == thinkEndId) {
          // What looked like an answer was text before the block's marker: it joins the reasoning.
          answerTokens -= preludeTokens;
          reasoningTokens += preludeTokens + 1;
          if (tokenId == thinkEndId) return closeBlock();
          phase = Phase.REASONING;
          return checkThinkingBudget();
        }
        preludeTokens++;
        answerTokens++;
        return checkAnswerBudget();
      default:
        answerTokens++;
        return checkAnswerBudget();
    }
  }

  private Decision closeBlock() {
    phase = Phase.ANSWER;
    reasoningTerminated = true;
    return Decision.CONTINUE;
  }

  private Decision checkThinkingBudget() {
    if (thinkingBudget == null || reasoningTokens < thinkingBudget) return Decision.CONTINUE;
    reasoningTokens += transitionLength + 1;
    answerTokens += forcedSequence.length - transitionLength - 1;
    budgetForced = true;
    closeBlock();
    return Decision.force(forcedSequence);
  }

  private Decision checkAnswerBudget() {
    if (answerBudget == null || answerTokens < answerBudget) return Decision.CONTINUE;
    stopped = true;
    return Decision.stop(FinishReason.resolve(false, true, budgetForced));
  }

  /** Reasoning tokens so far, markers and forced transition included. */
  public int reasoningTokens() {
    return reasoningTokens;
  }

  /** Answer tokens so far, forced after-think tokens included. */
  public int answerTokens() {
    return answerTokens;
  }

  /** Whether the sequence is inside an open think block. */
  public boolean inReasoning() {
    return phase == Phase.REASONING;
  }

  /** Whether {@code </think>} was forced because the thinking budget ran out. */
  public boolean budgetForced() {
    return budgetForced;
  }

  /** Whether a {@code </think>} (sampled or forced) closed the think block. */
  public boolean reasoningTerminated() {
    return reasoningTerminated;
  }

  /** Whether the answer budget ended the sequence. */
  public boolean stopped() {
    return stopped;
  }
}
