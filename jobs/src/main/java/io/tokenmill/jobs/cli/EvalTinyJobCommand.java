package io.tokenmill.jobs.cli;

import io.tokenmill.reasoner.tasks.TaskMix;
import io.tokenmill.reasoner.tasks.Tasks;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.eval.TinyReasonerJobEval;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill eval-tiny-job -c conf/local.yaml}: the tiny reasoner's MODELS.md tables, measured through the job. */
@Command(name = "eval-tiny-job", mixinStandardHelpOptions = true,
    description = "Run held-out tiny-reasoner problems through the job (Spark unless the config says local) and"
        + " print accuracy per task and level and, with --budgets, accuracy vs thinking budget.")
final class EvalTinyJobCommand implements Callable<Integer> {

  @Option(names = {"-c", "--config"}, defaultValue = "conf/local.yaml",
      description = "job YAML: model, runner, Spark master, engine (default: ${DEFAULT-VALUE})")
  String config;

  @Option(names = "--set", description = "override a config key (repeatable)")
  List<String> sets = new ArrayList<>();

  @Option(names = "--per-task", defaultValue = "1000", description = "held-out problems per task (default: ${DEFAULT-VALUE})")
  int perTask;

  @Option(names = "--seed", defaultValue = "" + Tasks.EVAL_SEED, description = "sample seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--budgets", split = ",", arity = "0..1", fallbackValue = "0.75,0.5,0.25,0",
      description = "also run every problem at these fractions of its task's hardest-level mean reasoning"
          + " tokens; 0 = thinking_budget 0, answer at once (flag alone: 0.75,0.5,0.25,0)")
  List<Double> budgets = new ArrayList<>();

  @Option(names = "--tasks", defaultValue = "add,sub,mul,count",
      description = "tasks to measure, of add, sub, mul, count, seating (default: ${DEFAULT-VALUE})")
  String tasks;

  @Option(names = "--scratch", defaultValue = "out/eval-tiny-job", description = "prompt files and job outputs (default: ${DEFAULT-VALUE})")
  Path scratch;

  @Override
  public Integer call() throws Exception {
    if (perTask < 4) throw new IllegalArgumentException("--per-task must be >= 4 (one problem per level), got " + perTask);
    double[] fractions = budgets.stream().mapToDouble(Double::doubleValue).toArray();
    for (double f : fractions) {
      if (!(f >= 0 && f < 1)) throw new IllegalArgumentException("--budgets fractions must be in [0, 1), got " + f);
    }
    if (java.util.Arrays.stream(fractions).map(f -> Math.round(100 * f)).distinct().count() < fractions.length) {
      throw new IllegalArgumentException("--budgets fractions must differ in whole percent, got " + budgets);
    }
    new TinyReasonerJobEval(JobConfig.load(config, sets), scratch, System.out)
        .run(TaskMix.parse(tasks).tasks(), perTask, seed, fractions);
    return 0;
  }
}
