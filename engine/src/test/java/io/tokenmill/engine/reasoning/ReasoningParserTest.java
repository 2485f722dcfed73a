package io.tokenmill.engine.reasoning;

import static io.tokenmill.engine.reasoning.ReasoningFormat.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ReasoningParserTest {

  private static void assertParsed(String reasoning, String answer, boolean terminated, ParsedOutput p) {
    assertEquals(new ParsedOutput(reasoning, answer, terminated), p);
  }

  @Test
  void r1WithCloseTagOnly() {
    assertParsed("Let me think.\nOK.", "The answer is 42.", true,
        ReasoningParser.parse("Let me think.\nOK.\n</think>\n\nThe answer is 42.", DEEPSEEK_R1, true));
  }

  @Test
  void r1ReopeningThinkAtTheStart() {
    assertParsed("Let me think.", "42", true,
        ReasoningParser.parse("<think>\nLet me think.\n</think>\n\n42", DEEPSEEK_R1, true));
    assertParsed("Let me think.", "42", true,
        ReasoningParser.parse("\n<think>\n\nLet me think.</think>42", DEEPSEEK_R1, true));
  }

  @Test
  void r1UnterminatedIsAllReasoningAndNoAnswer() {
    ParsedOutput p = ReasoningParser.parse("Let me think.\nThe answer might be 42, but", DEEPSEEK_R1, true);
    assertParsed("Let me think.\nThe answer might be 42, but", null, false, p);
    assertTrue(p.unterminated());
    assertParsed("x", null, false, ReasoningParser.parse("<think>\nx\n", DEEPSEEK_R1, true));
    assertParsed("", null, false, ReasoningParser.parse("", DEEPSEEK_R1, true));
  }

  @Test
  void r1IgnoresThinkingDisabledBecauseItsPromptAlwaysOpensTheBlock() {
    assertParsed("still thinking", null, false, ReasoningParser.parse("still thinking", DEEPSEEK_R1, false));
  }

  @Test
  void qwen3WithBothTags() {
    assertParsed("Let me think.", "42", true,
        ReasoningParser.parse("<think>\nLet me think.\n</think>\n\n42", QWEN3, true));
  }

  @Test
  void qwen3WithMissingOpenTag() {
    assertParsed("Let me think.", "42", true, ReasoningParser.parse("Let me think.\n</think>\n\n42", QWEN3, true));
  }

  @Test
  void qwen3WithoutTagsAnsweredDirectly() {
    ParsedOutput p = ReasoningParser.parse("\nThe answer is 42.\n", QWEN3, true);
    assertParsed(null, "The answer is 42.", false, p);
    assertFalse(p.unterminated());
  }

  @Test
  void qwen3OpenedButUnterminated() {
    assertParsed("Let me", null, false, ReasoningParser.parse("<think>\nLet me", QWEN3, true));
  }

  @Test
  void qwen3TextBeforeTheOpenTagJoinsTheReasoning() {
    assertParsed("Hmm. Let me", "42", true, ReasoningParser.parse("Hmm. <think>Let me</think>42", QWEN3, true));
  }

  @Test
  void qwen3ThinkingDisabledIsAnswerOnly() {
    assertParsed(null, "42", false, ReasoningParser.parse("42\n", QWEN3, false));
    // A model that echoes the template's empty block has produced formatting, not reasoning.
    assertParsed(null, "42", false, ReasoningParser.parse("<think>\n\n</think>\n\n42", QWEN3, false));
  }

  @Test
  void onlyTheFirstCloseTagSplits() {
    assertParsed("a", "b </think> c <think> d", true,
        ReasoningParser.parse("a</think>b </think> c <think> d", DEEPSEEK_R1, true));
    assertParsed("a", "<think>b</think>", true, ReasoningParser.parse("<think>a</think><think>b</think>", QWEN3, true));
    assertParsed("a", "", true, ReasoningParser.parse("a</think>\n\n", QWEN3, true));
  }

  @Test
  void transitionTextStaysInTheReasoning() {
    String text = "Step one. Step two"
        + "\n\nConsidering the limited time, I have to give the solution based on the thinking directly now.\n"
        + "</think>\n\nThe answer is 42.";
    assertParsed("Step one. Step two\n\nConsidering the limited time, I have to give the solution based on the "
        + "thinking directly now.", "The answer is 42.", true, ReasoningParser.parse(text, DEEPSEEK_R1, true));
  }

  @Test
  void noneFormatIsVerbatimAnswer() {
    assertParsed(null, "  <think>x</think> 42\n", false, ReasoningParser.parse("  <think>x</think> 42\n", NONE, true));
  }

  @Test
  void explicitStartsInsideOverridesTheFormatDefault() {
    // A Qwen3 model whose prompt was forced to open the block: untagged text is unterminated reasoning.
    assertParsed("Let me", null, false, ReasoningParser.parse("Let me", QWEN3, true, true));
  }
}
