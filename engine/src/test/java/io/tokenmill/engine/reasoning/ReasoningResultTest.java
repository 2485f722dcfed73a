package io.tokenmill.engine.reasoning;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ReasoningResultTest {

  @Test
  void finishReasonPrecedence() {
    assertEquals(FinishReason.BUDGET, FinishReason.resolve(true, false, true));
    assertEquals(FinishReason.BUDGET, FinishReason.resolve(false, true, true));
    assertEquals(FinishReason.STOP, FinishReason.resolve(true, true, false));
    assertEquals(FinishReason.STOP, FinishReason.resolve(true, false, false));
    assertEquals(FinishReason.LENGTH, FinishReason.resolve(false, true, false));
    assertThrows(IllegalArgumentException.class, () -> FinishReason.resolve(false, false, false));
    assertEquals("budget", FinishReason.BUDGET.wireName());
  }

  @Test
  void unterminatedReasoningAtMaxNewTokensHasNoAnswer() {
    ThinkingController c = new ThinkingController(ReasoningFormat.DEEPSEEK_R1, 100, 101, true, null, null, null, null);
    for (int i = 0; i < 4; i++) c.onToken(7);
    ParsedOutput p = ReasoningParser.parse("I think the answer is 42 but", ReasoningFormat.DEEPSEEK_R1, true);
    ReasoningResult r = ReasoningResult.of(p, c, false, true);
    assertEquals(new ReasoningResult("I think the answer is 42 but", null, 4, 0, FinishReason.LENGTH), r);
  }

  @Test
  void unterminatedReasoningEndedByEosIsStopWithNoAnswer() {
    ParsedOutput p = ReasoningParser.parse("thinking", ReasoningFormat.DEEPSEEK_R1, true);
    ReasoningResult r = ReasoningResult.of(p, 1, 0, false, true, false);
    assertNull(r.answer());
    assertEquals(FinishReason.STOP, r.finishReason());
  }

  @Test
  void rejectsNegativeCounts() {
    assertThrows(IllegalArgumentException.class, () -> new ReasoningResult(null, "a", -1, 0, FinishReason.STOP));
    assertThrows(NullPointerException.class, () -> new ReasoningResult(null, "a", 0, 0, null));
  }
}
