package io.tokenmill.jobs.eval;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.reasoner.TinyEval;
import io.tokenmill.reasoner.tasks.Tasks;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed seating model ({@code data-samples/models/tiny-reasoner}) through the job (Arrow
 * runner; Spark writes the same rows, SparkJobTest): a fixed stratified held-out sample of 16 puzzles, 4
 * per guest count, then the same puzzles at {@code thinking_budget: 0} — the seed story's "slow and right
 * vs fast and wrong". Correctness is any valid seating, checked by the task and by the job's own seating
 * verifier, which must agree on every row.
 */
class SeatingJobEvalTest {

  @TempDir Path tmp;

  @Test
  void puzzlesAreSolvedByThinkingAndNotWithoutIt() throws Exception {
    JobConfig config = JobConfig.of(Map.of("model.path", "../data-samples/models/tiny-reasoner",
        "job.runner", "local", "job.progress", false, "engine.max_batch", 32));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TinyReasonerJobEval.Result r = new TinyReasonerJobEval(config, tmp, new PrintStream(bytes, true,
        StandardCharsets.UTF_8)).run(List.of(Tasks.SEATING), 16, 7, new double[] {0});
    String printed = bytes.toString(StandardCharsets.UTF_8);
    System.out.print(printed);

    assertEquals(16, r.rows());
    assertEquals(16, r.correctColumnAgrees(), "the job's seating verifier agrees with the task's check\n" + printed);
    assertEquals(4, r.accuracy().size(), printed);
    int correct = r.accuracy().stream().mapToInt(TinyEval.Row::correct).sum();
    assertTrue(correct >= MIN_CORRECT, correct + "/16 correct\n" + printed);
    double three = r.accuracy().get(0).meanReasoningTokens();
    double six = r.accuracy().get(3).meanReasoningTokens();
    assertTrue(six >= 4 * three, "reasoning grows with the guests: " + three + " -> " + six + "\n" + printed);

    TinyEval.BudgetRow unlimited = r.budgets().get(0);
    TinyEval.BudgetRow atOnce = r.budgets().get(1);
    assertEquals("0 = answer at once", atOnce.all().what());
    assertEquals(16, atOnce.all().finish().getOrDefault(FinishReason.BUDGET, 0), atOnce + "\n" + printed);
    assertEquals(0.0, atOnce.all().meanReasoningTokens());
    assertTrue(atOnce.all().correct() < unlimited.all().correct(), "answering at once is worse: " + atOnce
        + " vs " + unlimited + "\n" + printed);
  }

  /**
   * What the model must solve of the 16: the CI bar of 85% (measured on the committed model: 15,
   * the miss a 6-guest puzzle; docs/MODELS.md).
   */
  private static final int MIN_CORRECT = 14;
}
