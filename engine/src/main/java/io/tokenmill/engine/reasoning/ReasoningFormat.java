package io.tokenmill.engine.reasoning;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a model marks its reasoning. Chosen per job (option {@code reasoning_format}: {@link #parse}) or,
 * for {@code "auto"}, by the caller via {@link #detect} from the chat template and the vocabulary. Read
 * by {@link ReasoningParser} (text) and {@link ThinkingController} (tokens) so both agree on where the
 * reasoning starts.
 */
public enum ReasoningFormat {
  /**
   * The chat template's generation prompt ends with {@code <think>\n} (DeepSeek-R1-Distill, QwQ,
   * Qwen3-*-Thinking): generated text starts inside the think block and normally contains only
   * {@code </think>}, though some checkpoints emit {@code <think>} again first.
   */
  DEEPSEEK_R1,
  /**
   * Hybrid Qwen3: the model itself emits {@code <think>…</think>}. With {@code enable_thinking=false} the
   * template already contains an empty think block, so the output is answer only.
   */
  QWEN3,
  /** No reasoning: everything generated is the answer. */
  NONE;

  /**
   * Matches {@code <think>} followed by a newline, written either as a Jinja escape ({@code \n}, the
   * usual form in tokenizer_config.json) or as a real newline, and NOT followed by {@code </think>}: the
   * Qwen3 template's {@code <think>\n\n</think>\n\n} (thinking disabled) is a closed, empty block and
   * must not count as "the prompt opens a think block".
   */
  private static final Pattern OPENING_THINK_IN_PROMPT =
      Pattern.compile("<think>(?:\\\\n|\\n)(?!(?:\\\\n|\\s)*</think>)");

  /**
   * Parses a job option value, case-insensitively: {@code deepseek_r1}, {@code deepseek-r1}, {@code r1},
   * {@code qwen3}, {@code none}. {@code auto} is not a format: the caller resolves it with {@link #detect}
   * before calling this, so it is rejected here like any unknown value.
   */
  public static ReasoningFormat parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    switch (v) {
      case "deepseek_r1":
      case "deepseek-r1":
      case "r1":
        return DEEPSEEK_R1;
      case "qwen3":
        return QWEN3;
      case "none":
        return NONE;
      case "auto":
        throw new IllegalArgumentException("reasoning format 'auto' must be resolved with ReasoningFormat.detect");
      default:
        throw new IllegalArgumentException(
            "unknown reasoning format '" + value + "'; expected one of deepseek_r1 (r1), qwen3, none, auto");
    }
  }

  /**
   * Heuristic for {@code reasoning_format=auto}. Deliberately simple:
   *
   * <ol>
   *   <li>Take the template text from the LAST mention of {@code add_generation_prompt} to the end (the
   *       generation-prompt branch is the template's tail in every known reasoning template; earlier
   *       {@code <think>} mentions format past assistant turns and must be ignored).
   *   <li>If that text contains {@code <think>} + newline not followed by {@code </think>}, the prompt
   *       opens a think block ⇒ {@link #DEEPSEEK_R1}.
   *   <li>else if the vocabulary has {@code <think>}/{@code </think>} tokens ⇒ {@link #QWEN3} (the model
   *       opens its own block, if at all).
   *   <li>else {@link #NONE}.
   * </ol>
   *
   * @param chatTemplate the Jinja source (may be null: no template)
   * @param hasThinkTokens whether {@code <think>} and {@code </think>} are single tokens in the vocabulary
   */
  public static ReasoningFormat detect(String chatTemplate, boolean hasThinkTokens) {
    if (chatTemplate != null) {
      int branch = chatTemplate.lastIndexOf("add_generation_prompt");
      if (branch >= 0 && OPENING_THINK_IN_PROMPT.matcher(chatTemplate.substring(branch)).find()) {
        return DEEPSEEK_R1;
      }
    }
    return hasThinkTokens ? QWEN3 : NONE;
  }

  /**
   * Whether a request in this format produces reasoning. {@link #DEEPSEEK_R1} ignores
   * {@code enableThinking}: its template has no switch and always opens the think block, so honouring
   * {@code false} would mislabel the reasoning as answer.
   */
  public boolean thinks(boolean enableThinking) {
    switch (this) {
      case DEEPSEEK_R1:
        return true;
      case QWEN3:
        return enableThinking;
      default:
        return false;
    }
  }

  /**
   * Whether generated text starts inside the think block (the prompt ends with {@code <think>\n}).
   * Pass the result as {@code startsInsideThink} to {@link ThinkingController} and, when it differs from
   * this default, to {@link ReasoningParser#parse(String, ReasoningFormat, boolean, boolean)}.
   */
  public boolean startsInsideThink(boolean enableThinking) {
    return this == DEEPSEEK_R1;
  }

  /**
   * The format that governs one request: {@link #NONE} when it will not reason (Qwen3 with thinking
   * disabled, or a NONE model), else this. Hand this to {@link ThinkingController} so that a request
   * with thinking off never gets budget forcing and counts everything as answer.
   */
  public ReasoningFormat effective(boolean enableThinking) {
    return thinks(enableThinking) ? this : NONE;
  }
}
