package io.tokenmill.engine.reasoning;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Splits the decoded text of one finished sequence into reasoning and answer. Called once per row by
 * the engine's output stage, after detokenizing with the think markers kept (they are added, not
 * special, tokens in R1/Qwen3 vocabularies, but a decoder that skips added tokens would lose them).
 *
 * <p>Marker rules (the same ones {@link ThinkingController} applies to token ids, so text and counts
 * agree):
 *
 * <ul>
 *   <li>The FIRST {@code </think>} closes the think block: reasoning before, answer after. Later
 *       {@code <think>}/{@code </think>} text is ordinary answer text.
 *   <li>A {@code <think>} before that point (or anywhere, if there is no {@code </think>}) opens the
 *       block: the marker is dropped and any text before it joins the reasoning (usually it is just
 *       whitespace, or R1 re-opening a block the prompt already opened).
 *   <li>No {@code </think>}: if the block is open (R1, or a {@code <think>} was seen) all text is
 *       reasoning and answer is null (unterminated); otherwise the model answered directly and all
 *       text is the answer, reasoning null.
 *   <li>Any budget-forcing transition text was generated before {@code </think>} and so stays in the
 *       reasoning, matching the token counts.
 * </ul>
 *
 * <p>Trimming: whitespace next to a marker is template formatting ({@code <think>\n},
 * {@code </think>\n\n}), so for reasoning formats both fields are {@link String#strip()}ped. Format
 * NONE returns the text verbatim (we have no markers to interpret); a request with thinking disabled
 * gets a leading empty {@code <think></think>} block removed and the answer stripped.
 */
public final class ReasoningParser {
  public static final String THINK_START = "<think>";
  public static final String THINK_END = "</think>";

  private static final Pattern LEADING_EMPTY_BLOCK = Pattern.compile("^\\s*<think>\\s*</think>");

  private ReasoningParser() {}

  /** Parses with the format's default for whether the output starts inside the think block. */
  public static ParsedOutput parse(String generatedText, ReasoningFormat format, boolean thinkingEnabled) {
    return parse(generatedText, format, thinkingEnabled, format.startsInsideThink(thinkingEnabled));
  }

  /**
   * @param startsInsideThink the prompt ended with {@code <think>}: text without any marker is then
   *     unterminated reasoning, not an answer. Must match what the {@link ThinkingController} was given.
   */
  public static ParsedOutput parse(
      String generatedText, ReasoningFormat format, boolean thinkingEnabled, boolean startsInsideThink) {
    Objects.requireNonNull(generatedText, "generatedText");
    Objects.requireNonNull(format, "format");
    if (!format.thinks(thinkingEnabled)) return answerOnly(generatedText, format);

    String text = generatedText;
    int end = text.indexOf(THINK_END);
    int start = text.indexOf(THINK_START);
    boolean open = startsInsideThink;
    if (start >= 0 && (end < 0 || start < end)) {
      text = text.substring(0, start) + text.substring(start + THINK_START.length());
      open = true;
      if (end >= 0) end -= THINK_START.length();
    }
    if (end >= 0) {
      return new ParsedOutput(
          text.substring(0, end).strip(), text.substring(end + THINK_END.length()).strip(), true);
    }
    if (open) return new ParsedOutput(text.strip(), null, false);
    return new ParsedOutput(null, text.strip(), false);
  }

  private static ParsedOutput answerOnly(String text, ReasoningFormat format) {
    if (format == ReasoningFormat.NONE) return new ParsedOutput(null, text, false);
    // Thinking disabled: the template closed an empty block already; a model that echoes one anyway
    // has produced formatting, not reasoning.
    String answer = LEADING_EMPTY_BLOCK.matcher(text).replaceFirst("");
    return new ParsedOutput(null, answer.strip(), false);
  }
}
