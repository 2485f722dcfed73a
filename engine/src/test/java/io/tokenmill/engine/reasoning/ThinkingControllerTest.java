package io.tokenmill.engine.reasoning;

import static io.tokenmill.engine.reasoning.ToyEngine.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ThinkingControllerTest {

  private static ThinkingController r1(Integer budget, Integer answerBudget) {
    return new ThinkingController(ReasoningFormat.DEEPSEEK_R1, OPEN, CLOSE, true, budget, answerBudget,
        TRANSITION, AFTER);
  }

  private static ThinkingController qwen3(Integer budget) {
    return new ThinkingController(ReasoningFormat.QWEN3, OPEN, CLOSE, false, budget, null, TRANSITION, AFTER);
  }

  @Test
  void r1WithoutThinkTagInOutput() {
    ThinkingController c = r1(null, null);
    assertTrue(c.inReasoning());
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.DEEPSEEK_R1, true, true, 100,
        LET, ME, THINK, DOT, NL, CLOSE, NL2, THE, ANSWER, IS, N42, EOS);
    assertEquals(6, c.reasoningTokens()); // 5 words/newline + </think>
    assertEquals(5, c.answerTokens());
    assertFalse(c.inReasoning());
    assertTrue(c.reasoningTerminated());
    assertFalse(c.budgetForced());
    assertEquals(new ReasoningResult("Let me think.", "The answer is 42", 6, 5, FinishReason.STOP), r.result());
  }

  @Test
  void r1ReopeningThinkCountsTheMarkerAsReasoning() {
    ThinkingController c = r1(null, null);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.DEEPSEEK_R1, true, true, 100,
        OPEN, NL, LET, ME, THINK, CLOSE, NL2, N42, EOS);
    assertEquals(6, c.reasoningTokens());
    assertEquals(2, c.answerTokens());
    assertEquals("Let me think", r.result().reasoning());
    assertEquals("42", r.result().answer());
  }

  @Test
  void budgetZeroForcesTheWholeEndOfThinkingBeforeAnyToken() {
    ThinkingController r1 = r1(0, null);
    int[] forced = r1.startForced();
    assertArrayEquals(new int[] {NL2, CONSIDER, LIMITED, CLOSE, NL2}, forced);
    assertEquals(4, r1.reasoningTokens()); // transition + </think>, as a forced run counts them
    assertEquals(1, r1.answerTokens());
    assertEquals(4, r1.forcedReasoningLength());
    assertTrue(r1.budgetForced());
    assertFalse(r1.inReasoning());
    assertEquals(Decision.Kind.CONTINUE, r1.onToken(N42).kind()); // the model's first token is answer
    assertEquals(2, r1.answerTokens());

    // Qwen3 leaves <think> to the model: it is forced first.
    ThinkingController q = qwen3(0);
    assertArrayEquals(new int[] {OPEN, NL2, CONSIDER, LIMITED, CLOSE, NL2}, q.startForced());
    assertEquals(5, q.reasoningTokens());
    assertEquals(5, q.forcedReasoningLength());

    // Any other budget, or thinking off, forces nothing up front.
    assertEquals(0, r1(3, null).startForced().length);
    assertEquals(0, r1(null, null).startForced().length);
    assertEquals(0, new ThinkingController(ReasoningFormat.QWEN3.effective(false), OPEN, CLOSE, false, 0, null,
        TRANSITION, AFTER).startForced().length);
  }

  @Test
  void qwen3ThinkingOn() {
    ThinkingController c = qwen3(null);
    assertFalse(c.inReasoning());
    c.onToken(OPEN);
    assertTrue(c.inReasoning());
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.QWEN3, true, false, 100, NL, LET, CLOSE, NL2, N42, EOS);
    assertEquals(4, c.reasoningTokens()); // <think> \n Let </think>
    assertEquals(2, c.answerTokens());
    assertEquals("Let", r.parsed().reasoning());
    assertEquals("42", r.parsed().answer());
  }

  @Test
  void qwen3ThinkingOffCountsEverythingAsAnswerAndIgnoresTheBudget() {
    ReasoningFormat f = ReasoningFormat.QWEN3.effective(false);
    ThinkingController c = new ThinkingController(f, OPEN, CLOSE, false, 2, null, TRANSITION, AFTER);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.QWEN3, false, false, 100, THE, ANSWER, IS, N42, EOS);
    assertEquals(0, c.reasoningTokens());
    assertEquals(4, c.answerTokens());
    assertFalse(c.budgetForced());
    assertEquals(new ReasoningResult(null, "The answer is 42", 0, 4, FinishReason.STOP), r.result());
  }

  @Test
  void qwen3MissingOpenTagMovesPreludeToReasoning() {
    ThinkingController probe = qwen3(null);
    probe.onToken(LET);
    probe.onToken(ME);
    assertEquals(2, probe.answerTokens()); // tentatively an answer until a marker shows otherwise

    ThinkingController c = qwen3(null);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.QWEN3, true, false, 100, LET, ME, CLOSE, NL2, N42, EOS);
    assertEquals(3, c.reasoningTokens());
    assertEquals(2, c.answerTokens());
    assertTrue(c.reasoningTerminated());
    assertEquals(new ReasoningResult("Let me", "42", 3, 2, FinishReason.STOP), r.result());
  }

  @Test
  void qwen3PreludeCountsTowardTheBudgetOnceTheBlockOpens() {
    ThinkingController c = qwen3(3);
    assertEquals(Decision.CONTINUE, c.onToken(NL));
    assertEquals(Decision.CONTINUE, c.onToken(NL));
    assertEquals(Decision.Kind.FORCE, c.onToken(OPEN).kind());
    assertEquals(3 + TRANSITION.length + 1, c.reasoningTokens());
    assertEquals(AFTER.length, c.answerTokens());
  }

  @Test
  void qwen3AnsweringDirectlyStaysAnswer() {
    ThinkingController c = qwen3(5);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.QWEN3, true, false, 100,
        THE, ANSWER, IS, N42, DOT, THE, ANSWER, EOS);
    assertFalse(c.budgetForced()); // the budget only counts reasoning
    assertEquals(new ReasoningResult(null, "The answer is 42.The answer", 0, 7, FinishReason.STOP), r.result());
  }

  @Test
  void budgetForcingAtExactlyNTokens() {
    ThinkingController c = r1(3, null);
    assertEquals(Decision.Kind.CONTINUE, c.onToken(LET).kind());
    assertEquals(Decision.Kind.CONTINUE, c.onToken(ME).kind());
    Decision d = c.onToken(THINK);
    assertEquals(Decision.Kind.FORCE, d.kind());
    assertArrayEquals(new int[] {NL2, CONSIDER, LIMITED, CLOSE, NL2}, d.forcedTokens());
    assertTrue(c.budgetForced());
    assertTrue(c.reasoningTerminated());
    assertFalse(c.inReasoning());
    assertEquals(3 + TRANSITION.length + 1, c.reasoningTokens());
    assertEquals(AFTER.length, c.answerTokens());
    // After forcing, marker tokens are plain answer tokens and never force again.
    assertEquals(Decision.Kind.CONTINUE, c.onToken(CLOSE).kind());
    assertEquals(Decision.Kind.CONTINUE, c.onToken(OPEN).kind());
    assertEquals(7, c.reasoningTokens());
    assertEquals(3, c.answerTokens());
  }

  @Test
  void budgetForcedRowEndsAsBudgetEvenAfterEos() {
    ThinkingController c = r1(3, null);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.DEEPSEEK_R1, true, true, 100, LET, ME, THINK, N42, EOS);
    assertEquals(java.util.List.of(LET, ME, THINK, NL2, CONSIDER, LIMITED, CLOSE, NL2, N42), r.output());
    assertTrue(r.stopped());
    assertEquals(new ReasoningResult("Let me think\n\nConsidering the limited time, I answer now.", "42",
        3 + TRANSITION.length + 1, 2, FinishReason.BUDGET), r.result());
  }

  @Test
  void forcedSequenceTruncatedByMaxNewTokensLeavesNoAnswer() {
    ThinkingController c = r1(3, null);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.DEEPSEEK_R1, true, true, 5, LET, ME, THINK, N42);
    assertNull(r.result().answer());
    assertEquals(FinishReason.BUDGET, r.result().finishReason());
  }

  @Test
  void closingBeforeOrAtTheBudgetNeverForces() {
    ThinkingController c = r1(3, null);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.DEEPSEEK_R1, true, true, 100, LET, ME, CLOSE, N42, EOS);
    assertTrue(r.decisions().stream().allMatch(d -> d.kind() == Decision.Kind.CONTINUE));
    assertFalse(c.budgetForced());
    assertEquals(FinishReason.STOP, r.result().finishReason());
    assertEquals(3, c.reasoningTokens()); // the N-th reasoning token is </think> itself: no forcing

    ThinkingController early = r1(10, null);
    ToyEngine.run(early, ReasoningFormat.DEEPSEEK_R1, true, true, 100, LET, CLOSE, N42, N42, N42, N42, EOS);
    assertFalse(early.budgetForced());
  }

  @Test
  void unlimitedBudgetNeverForces() {
    for (Integer budget : new Integer[] {null, -1}) { // 0 is "answer at once" (budgetZero... above)
      ThinkingController c = r1(budget, null);
      for (int i = 0; i < 10_000; i++) assertEquals(Decision.CONTINUE, c.onToken(THINK));
      assertEquals(10_000, c.reasoningTokens());
      assertTrue(c.inReasoning());
      assertFalse(c.budgetForced());
    }
  }

  @Test
  void answerBudgetStops() {
    ThinkingController c = r1(null, 3);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.DEEPSEEK_R1, true, true, 100,
        LET, CLOSE, THE, ANSWER, IS, N42, EOS);
    Decision last = r.decisions().get(r.decisions().size() - 1);
    assertEquals(Decision.stop(FinishReason.LENGTH).kind(), last.kind());
    assertEquals(FinishReason.LENGTH, last.finishReason());
    assertEquals(3, c.answerTokens());
    assertEquals("The answer is", r.result().answer());
    assertEquals(FinishReason.LENGTH, r.result().finishReason());
    assertThrows(IllegalStateException.class, () -> c.onToken(N42));
  }

  @Test
  void answerBudgetAfterForcingStopsAsBudget() {
    ThinkingController c = r1(2, 3);
    assertEquals(Decision.Kind.FORCE, ToyEngine.run(c, ReasoningFormat.DEEPSEEK_R1, true, true, 100,
        LET, ME, THE, ANSWER, IS).decisions().get(1).kind());
    assertEquals(3, c.answerTokens()); // forced "\n\n" + THE + ANSWER
    assertTrue(c.stopped());
  }

  @Test
  void noneFormatCountsEverythingAsAnswer() {
    ThinkingController c = new ThinkingController(ReasoningFormat.NONE, OPEN, CLOSE, false, 1, null,
        TRANSITION, AFTER);
    ToyEngine.Run r = ToyEngine.run(c, ReasoningFormat.NONE, true, false, 100, OPEN, LET, CLOSE, N42, EOS);
    assertEquals(0, c.reasoningTokens());
    assertEquals(4, c.answerTokens());
    assertFalse(c.inReasoning());
    assertFalse(c.budgetForced());
    assertNull(r.result().reasoning());
    assertEquals("<think>Let</think> 42", r.result().answer());
  }

  @Test
  void budgetWithoutThinkEndTokenIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        new ThinkingController(ReasoningFormat.DEEPSEEK_R1, -1, -1, true, 100, null, new int[0], new int[0]));
    assertTrue(e.getMessage().contains("</think>"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () ->
        new ThinkingController(ReasoningFormat.QWEN3, -1, -1, false, null, 50, null, null));
    // Without a budget there is nothing to enforce, so a vocabulary without </think> is allowed.
    new ThinkingController(ReasoningFormat.DEEPSEEK_R1, -1, -1, true, null, null, null, null);
  }

  @Test
  void invalidConfigurationsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> r1(5, 1)); // AFTER uses the whole answer budget
    assertThrows(IllegalArgumentException.class, () ->
        new ThinkingController(ReasoningFormat.QWEN3, CLOSE, CLOSE, false, null, null, null, null));
    assertThrows(IllegalArgumentException.class, () ->
        new ThinkingController(ReasoningFormat.NONE, OPEN, CLOSE, true, null, null, null, null));
    assertThrows(IllegalArgumentException.class, () -> r1(null, null).onToken(-1));
  }

  @Test
  void forcedTokensCannotBeMutatedThroughTheDecision() {
    ThinkingController c = r1(1, null);
    Decision d = c.onToken(LET);
    d.forcedTokens()[0] = 999;
    assertEquals(NL2, d.forcedTokens()[0]);
  }
}
