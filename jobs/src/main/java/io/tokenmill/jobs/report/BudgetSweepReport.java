package io.tokenmill.jobs.report;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The page of a thinking-budget sweep ({@code eval-tiny-job --budgets}, {@code TinyReasonerJobEval}):
 * accuracy against the budget, one line per series (task), and the sweep's table. Each job of the sweep
 * also writes its own OUTPUT/report.html.
 */
public final class BudgetSweepReport {

  private BudgetSweepReport() {}

  /**
   * @param series per series name, accuracy per thinking budget (tokens)
   * @param table rows of (setting, figures) shown under the chart
   */
  public static String html(String subtitle, Map<String, Map<Long, ReportRows.Accuracy>> series,
      List<String[]> table) throws IOException {
    return new HtmlReport("Accuracy vs thinking budget", subtitle)
        .chart("Accuracy vs thinking budget", "Each point: the share of a task's held-out problems answered"
            + " correctly when reasoning is cut off after that many tokens (finish_reason = budget) and the model"
            + " must answer from partial work.", ReportCharts.accuracyVsBudget(series))
        .table("Settings", table)
        .html();
  }
}
