package io.tokenmill.engine.reasoning;

/**
 * One generated text split by {@link ReasoningParser} into reasoning and answer.
 *
 * @param reasoning the think-block content; null when the request does not reason (format NONE,
 *     thinking disabled) or a Qwen3 model answered without any think tag; may be empty
 * @param answer the text after {@code </think>}; null when the reasoning is unterminated (the output
 *     ended inside the think block), because unfinished reasoning must never be reported as an answer;
 *     empty when {@code </think>} was the last thing generated
 * @param reasoningTerminated whether the text contains the {@code </think>} that closed the think block
 */
public record ParsedOutput(String reasoning, String answer, boolean reasoningTerminated) {

  /** True when the output ended inside an open think block (answer is then null). */
  public boolean unterminated() {
    return reasoning != null && !reasoningTerminated;
  }
}
