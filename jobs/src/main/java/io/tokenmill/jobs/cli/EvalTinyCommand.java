package io.tokenmill.jobs.cli;

import io.tokenmill.engine.inference.ReasoningOptions;
import io.tokenmill.reasoner.ForcedLines;
import io.tokenmill.reasoner.TinyEval;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Task;
import io.tokenmill.reasoner.tasks.TaskMix;
import io.tokenmill.reasoner.tasks.Tasks;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill eval-tiny}: held-out accuracy (and thinking-budget sweep) through the engine. */
@Command(name = "eval-tiny", mixinStandardHelpOptions = true,
    description = "Measure a tiny-reasoner model directory on held-out problems through the inference engine "
        + "(greedy) and print markdown tables: accuracy and mean reasoning tokens per task and level, and "
        + "optionally accuracy against a thinking budget.")
final class EvalTinyCommand implements Callable<Integer> {

  @Option(names = "--model", defaultValue = "data-samples/models/tiny-reasoner",
      description = "model directory (default: ${DEFAULT-VALUE})")
  Path model;

  @Option(names = "--per-level", defaultValue = "250",
      description = "held-out problems per task and level (default: ${DEFAULT-VALUE}, i.e. 1,000 per task)")
  int perLevel;

  @Option(names = "--seed", defaultValue = "" + Tasks.EVAL_SEED, description = "held-out sample seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--budgets",
      description = "also sweep the thinking budget: 75/50/25%% of the reasoning tokens each task's hardest level needs")
  boolean budgets;

  @Option(names = "--no-accuracy", description = "skip the per-level accuracy table")
  boolean noAccuracy;

  @Option(names = "--show-failures", defaultValue = "0", description = "print up to N wrong outputs (with --forced-lines: N wrong lines per kind, reference ← the model's teacher-forced argmax)")
  int showFailures;

  @Option(names = "--tasks", defaultValue = "add,sub,mul,count",
      description = "tasks to measure, of add, sub, mul, count, seating (default: ${DEFAULT-VALUE})")
  String tasks;

  @Option(names = "--at-once", description = "also measure each task answering at once (thinking_budget 0, no transition)")
  boolean atOnce;

  @Option(names = "--forced-lines",
      description = "first print where the reasoning breaks: per line kind, the share of lines the model gets "
          + "right teacher-forced and how many problems first go wrong there (one forward pass, no decoding)")
  boolean forcedLines;

  @Override
  public Integer call() {
    // drawn once for both measurements (drawing a seating puzzle counts its solutions)
    List<Problem> problems = forcedLines || !noAccuracy ? TinyEval.heldOut(taskList(), perLevel, seed) : null;
    if (forcedLines) {
      long t0 = System.nanoTime();
      ForcedLines.Report report = ForcedLines.measure(model, problems, showFailures);
      System.out.printf("%d held-out problems teacher-forced in %.1f s%n%n", problems.size(), (System.nanoTime() - t0) / 1e9);
      System.out.println(ForcedLines.table(report.rows()));
      report.wrongLines().forEach((kind, lines) -> lines.forEach(l -> System.out.println("WRONG " + kind + ": " + l)));
      if (noAccuracy && !budgets && !atOnce) return 0;
    }
    try (TinyEval eval = TinyEval.open(model)) {
      if (!noAccuracy) {
        long t0 = System.nanoTime();
        List<TinyEval.Outcome> out = eval.run(problems, ReasoningOptions.DEFAULT);
        System.out.printf("%d held-out problems in %.1f s (greedy, reasoning format %s)%n%n", problems.size(),
            (System.nanoTime() - t0) / 1e9, eval.format());
        System.out.println(TinyEval.accuracyTable(TinyEval.byLevel(out)));
        out.stream().filter(o -> !o.correct()).limit(showFailures).forEach(o -> System.out.printf(
            "WRONG %s: %s -> answer %s (expected %s, finish %s)%n%s%n%n", o.problem().id(), o.problem().prompt(),
            o.result().answer(), o.problem().answer(), o.result().finishReason(), o.result().text()));
      }
      if (budgets || atOnce) {
        long t0 = System.nanoTime();
        List<TinyEval.BudgetRow> rows = eval.budgetSweep(taskList(), perLevel, seed,
            budgets ? new double[] {0.75, 0.5, 0.25} : new double[0], atOnce);
        System.out.printf("thinking-budget sweep in %.1f s%n%n", (System.nanoTime() - t0) / 1e9);
        System.out.println(TinyEval.budgetTable(rows));
      }
    }
    return 0;
  }

  private List<Task> taskList() {
    return TaskMix.parse(tasks).tasks();
  }
}
