package io.tokenmill.engine.inference;

/**
 * How a request treats the think block: whether thinking is on (Qwen3's {@code enable_thinking}), the
 * thinking budget (max reasoning tokens before the end-of-thinking sequence is forced; 0 = answer at once,
 * the sequence forced before any token; null = unlimited),
 * the answer budget after thinking (null = only max_new_tokens), and the transition text injected before
 * a forced {@code </think>}.
 */
public record ReasoningOptions(boolean enableThinking, Integer thinkingBudget, Integer answerBudget,
    String transitionText) {

  public static final String DEFAULT_TRANSITION =
      "\n\nI have to stop thinking here and give the final answer based on the reasoning so far.\n";

  public static final ReasoningOptions DEFAULT = new ReasoningOptions(true, null, null, DEFAULT_TRANSITION);

  public ReasoningOptions {
    if (thinkingBudget != null && thinkingBudget < 0) {
      throw new IllegalArgumentException("thinking_budget must be >= 0 (0 = answer at once; absent = unlimited), got "
          + thinkingBudget);
    }
    if (answerBudget != null && answerBudget < 1) {
      throw new IllegalArgumentException("answer budget must be >= 1 (or absent), got " + answerBudget);
    }
    if (transitionText == null) transitionText = "";
  }

  public ReasoningOptions withThinkingBudget(Integer budget) {
    return new ReasoningOptions(enableThinking, budget, answerBudget, transitionText);
  }
}
