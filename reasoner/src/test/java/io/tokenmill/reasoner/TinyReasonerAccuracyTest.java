package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.inference.ReasoningOptions;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.reasoner.tasks.Problem;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The committed tiny reasoner, loaded like any HF model and run through the continuous-batching engine
 * with greedy decoding, answers a fixed sample of 100 held-out problems (25 per task, every level) with
 * at least 95% exact-match accuracy, reasoning inside the think block and stopping on its own.
 */
class TinyReasonerAccuracyTest {

  static final Path MODEL = Path.of("..", "data-samples", "models", "tiny-reasoner");

  @Test
  void answersHeldOutProblems() {
    List<Problem> sample = HeldOutPrompts.sample(25, 99);
    assertEquals(100, sample.size());
    try (TinyEval eval = TinyEval.open(MODEL)) {
      assertEquals(ReasoningFormat.DEEPSEEK_R1, eval.format(), "detected from the chat template");
      List<TinyEval.Outcome> out = eval.run(sample, ReasoningOptions.DEFAULT);
      long correct = out.stream().filter(TinyEval.Outcome::correct).count();
      String wrong = out.stream().filter(o -> !o.correct()).map(o -> o.problem().prompt() + " -> "
          + o.result().answer() + " (expected " + o.problem().answer() + ")").toList().toString();
      System.out.println(TinyEval.accuracyTable(TinyEval.byLevel(out)));
      assertTrue(correct >= 95, correct + "/100 correct; wrong: " + wrong);
      for (TinyEval.Outcome o : out) {
        assertEquals(FinishReason.STOP, o.result().finishReason(), o.problem().prompt());
        assertNotNull(o.result().reasoning(), o.problem().prompt());
        assertTrue(o.result().reasoningTokens() > 0);
      }
    }
  }

  /** Issue 13's bar for the hand-written edge cases (long carries and borrows, zeros, repeated digits). */
  @Test
  void answersTheHandWrittenEdgeCases() {
    List<Problem> edges = io.tokenmill.reasoner.tasks.EdgeCases.all();
    try (TinyEval eval = TinyEval.open(MODEL)) {
      List<TinyEval.Outcome> out = eval.run(edges, ReasoningOptions.DEFAULT);
      long correct = out.stream().filter(TinyEval.Outcome::correct).count();
      String wrong = out.stream().filter(o -> !o.correct()).map(o -> o.problem().prompt() + " -> "
          + o.result().answer() + " (expected " + o.problem().answer() + ")").toList().toString();
      System.out.println("edge cases: " + correct + " / " + edges.size() + " correct; wrong: " + wrong);
      assertTrue(correct >= Math.ceil(0.97 * edges.size()), correct + "/" + edges.size() + " correct; wrong: " + wrong);
    }
  }
}
