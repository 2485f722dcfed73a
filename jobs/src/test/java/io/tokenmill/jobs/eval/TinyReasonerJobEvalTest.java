package io.tokenmill.jobs.eval;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.reasoner.TinyEval;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.report.ReportHtml;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * eval-tiny-job on the committed tiny reasoner through the Arrow runner (the Spark runner writes the same
 * rows: SparkJobTest): 16 problems per task, then the same problems at 50% and 25% of each task's
 * hardest-level reasoning length. Unlimited, the model finishes on its own and is mostly right; under a
 * budget the hard problems' reasoning is cut, their rows say finish_reason = budget (more at 25% than at
 * 50%), and accuracy falls.
 */
class TinyReasonerJobEvalTest {

  @TempDir Path tmp;

  @Test
  void tablesComeFromTheJobsOutputRows() throws Exception {
    // a relative base dir and a job-level thinking budget in the user's config must not leak into the eval
    JobConfig config = JobConfig.of(Map.of("model.path", "../data-samples/models/tiny-reasoner",
        "job.runner", "local", "job.progress", false, "generation.max_new_tokens", 400, "engine.max_batch", 32,
        "generation.thinking_budget", 3, "input.limit", 5));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TinyReasonerJobEval.Result r = new TinyReasonerJobEval(config, tmp, new PrintStream(bytes, true,
        StandardCharsets.UTF_8)).run(16, 7, new double[] {0.5, 0.25, 0});
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

    assertEquals(16, r.budgets().size(), printed);
    for (int t = 0; t < 4; t++) {
      TinyEval.BudgetRow unlimited = r.budgets().get(4 * t);
      TinyEval.BudgetRow half = r.budgets().get(4 * t + 1);
      TinyEval.BudgetRow quarter = r.budgets().get(4 * t + 2);
      TinyEval.BudgetRow atOnce = r.budgets().get(4 * t + 3);
      String task = unlimited.all().task();
      double hardestMean = r.accuracy().get(4 * t + 3).meanReasoningTokens();
      assertEquals(task, r.accuracy().get(4 * t + 3).task());
      assertEquals("unlimited", unlimited.all().what());
      assertEquals("50% = " + Math.round(0.5 * hardestMean), half.all().what(), "budget from the task's level-4 mean");
      assertEquals("25% = " + Math.round(0.25 * hardestMean), quarter.all().what());
      for (TinyEval.BudgetRow b : List.of(unlimited, half, quarter, atOnce)) assertEquals(16, b.all().n(), b.toString());
      // thinking_budget 0: no reasoning sampled on any row, every row forced, the hardest level mostly wrong
      assertEquals("0 = answer at once", atOnce.all().what());
      assertEquals(0.0, atOnce.all().meanReasoningTokens(), atOnce + "\n" + printed);
      assertEquals(16, atOnce.all().finish().getOrDefault(FinishReason.BUDGET, 0), atOnce + "\n" + printed);
      assertTrue(atOnce.accuracyByLevel().get(4) < unlimited.accuracyByLevel().get(4), atOnce + "\n" + printed);
      assertEquals(0, unlimited.all().finish().getOrDefault(FinishReason.BUDGET, 0));
      int halfCut = half.all().finish().getOrDefault(FinishReason.BUDGET, 0);
      int quarterCut = quarter.all().finish().getOrDefault(FinishReason.BUDGET, 0);
      assertTrue(halfCut >= 4 && quarterCut > halfCut, task + ": budget rows " + halfCut + ", " + quarterCut + "\n" + printed);
      assertTrue(quarter.accuracyByLevel().get(4) < unlimited.accuracyByLevel().get(4), quarter + "\n" + printed);
      assertTrue(quarter.all().meanReasoningTokens() < half.all().meanReasoningTokens(), quarter + "\n" + printed);
    }
    assertTrue(printed.contains("| add | 4 | 7-8 digits | 4 (4) |"), printed);
    assertTrue(printed.contains("| count | 25% = "), printed);

    // the sweep's page: one chart, a line per task; each job of the sweep wrote its own report too
    String sweep = Files.readString(tmp.resolve("report.html"));
    assertEquals(List.of("Accuracy vs thinking budget"), ReportHtml.alts(ReportHtml.images(sweep)));
    for (TinyEval.BudgetRow b : r.budgets()) {
      assertTrue(sweep.contains("<th>" + b.all().task() + ", thinking budget " + b.all().what() + "</th>"), b.toString());
    }
    assertTrue(printed.contains("chart: " + tmp.resolve("report.html")), printed);
    // The prompts' columns are kept in the output: the unlimited run's report groups accuracy by their task
    // column, the sweep's by the thinking_budget column its prompt file carries.
    assertEquals(List.of("Tokens per row", "Accuracy by task", "Throughput"),
        ReportHtml.alts(ReportHtml.images(Files.readString(tmp.resolve("unlimited").resolve("report.html")))));
    assertEquals(List.of("Tokens per row", "Accuracy vs thinking budget", "Throughput"),
        ReportHtml.alts(ReportHtml.images(Files.readString(tmp.resolve("budgets").resolve("report.html")))));
  }
}
