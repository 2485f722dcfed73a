package io.tokenmill.jobs.eval;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.train.TinyEval;
import io.tokenmill.jobs.config.JobConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * eval-tiny-job on the committed tiny reasoner through the Arrow runner (the Spark runner writes the same
 * rows: SparkJobTest): 16 problems per task, then the same problems at 25% of each task's hardest-level
 * reasoning length. Unlimited, the model finishes on its own and is mostly right; at 25% the budget cuts
 * the hard problems' reasoning, their rows say finish_reason = budget, and accuracy falls.
 */
class TinyReasonerJobEvalTest {

  @TempDir Path tmp;

  @Test
  void tablesComeFromTheJobsOutputRows() throws Exception {
    JobConfig config = JobConfig.of(Map.of("model.path", "../data-samples/models/tiny-reasoner",
        "job.runner", "local", "job.progress", false, "generation.max_new_tokens", 400, "engine.max_batch", 32));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TinyReasonerJobEval.Result r = new TinyReasonerJobEval(config, tmp, new PrintStream(bytes, true,
        StandardCharsets.UTF_8)).run(16, 7, new double[] {0.25});
    String printed = bytes.toString(StandardCharsets.UTF_8);
    System.out.print(printed);

    assertEquals(16, r.accuracy().size(), printed);
    assertEquals(64, r.rows());
    assertEquals(64, r.correctColumnAgrees(), "the job's verifier agrees with exact match on every row\n" + printed);
    int correct = r.accuracy().stream().mapToInt(TinyEval.Row::correct).sum();
    assertTrue(correct >= 58, correct + "/64 correct\n" + printed);
    for (TinyEval.Row row : r.accuracy()) {
      assertEquals(4, row.n());
      assertEquals(4, row.finish().getOrDefault(FinishReason.STOP, 0), row + "\n" + printed);
    }
    double easiest = r.accuracy().stream().filter(x -> x.level() == 1).mapToDouble(TinyEval.Row::meanReasoningTokens)
        .min().orElseThrow();
    double hardest = r.accuracy().stream().filter(x -> x.level() == 4).mapToDouble(TinyEval.Row::meanReasoningTokens)
        .max().orElseThrow();
    assertTrue(hardest >= 5 * easiest, "reasoning grows >= 5x: " + easiest + " -> " + hardest);

    assertEquals(8, r.budgets().size(), printed);
    for (int i = 0; i < 8; i += 2) {
      TinyEval.BudgetRow unlimited = r.budgets().get(i);
      TinyEval.BudgetRow quarter = r.budgets().get(i + 1);
      assertEquals("unlimited", unlimited.all().what());
      assertTrue(quarter.all().what().startsWith("25% = "), quarter.all().what());
      assertEquals(0, unlimited.all().finish().getOrDefault(FinishReason.BUDGET, 0));
      assertTrue(quarter.all().finish().getOrDefault(FinishReason.BUDGET, 0) >= 4, quarter + "\n" + printed);
      assertTrue(quarter.accuracyByLevel().get(4) < unlimited.accuracyByLevel().get(4), quarter + "\n" + printed);
    }
    assertTrue(printed.contains("| add | 4 | 7-8 digits | 4 (4) |"), printed);
    assertTrue(printed.contains("| count | 25% = "), printed);
  }
}
