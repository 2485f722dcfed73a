package io.tokenmill.jobs.eval;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.reasoner.HeldOutPrompts;
import io.tokenmill.reasoner.TinyEval;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Task;
import io.tokenmill.reasoner.tasks.Tasks;
import io.tokenmill.jobs.config.ConfigKeys;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.local.ArrowParquet;
import io.tokenmill.jobs.GenerateJob;
import io.tokenmill.jobs.report.BudgetSweepReport;
import io.tokenmill.jobs.report.ReportRows;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.udfs.rows.ResultRow;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The tiny reasoner measured through the job itself (docs/MODELS.md): held-out problems written as a
 * prompt file, run by the configured runner (Spark by default) with greedy decoding, read back from the
 * output Parquet and tabulated per task and level. With budgets, a second run gives every problem again at
 * each fraction of its task's hardest-level mean reasoning length, as a per-row {@code thinking_budget}
 * column, and tabulates accuracy and {@code finish_reason = budget} per setting.
 *
 * <p>Accuracy is the task's check of the answer text (exact match of what the model was trained to write
 * for arithmetic, any valid seating for seating puzzles); the job's own {@code correct} column (the
 * configured extractor and verifier) is reported beside it.
 */
public final class TinyReasonerJobEval {

  /** What one run gave: per-row results keyed by id, and the job's summary. */
  public record Run(Map<String, ResultRow> rows, RunSummary summary, JobSettings settings) {
    /** The output row of {@code id}; a missing row is an error, not a wrong answer. */
    ResultRow row(String id) {
      ResultRow r = rows.get(id);
      if (r == null) throw new IllegalStateException("the job wrote no row for id " + id);
      return r;
    }
  }

  /** Tables, printed and returned for tests. */
  public record Result(List<TinyEval.Row> accuracy, List<TinyEval.BudgetRow> budgets, int correctColumnAgrees,
      int rows) {}

  /** Rows printed where the job's correct column and the task's own check disagree (the count is always printed). */
  static final int SHOWN_DISAGREEMENTS = 10;

  /** Prompt-file lines and quoted texts: no HTML escaping, so {@code <think>} and {@code =} stay readable. */
  private static final Gson JSON = new GsonBuilder().disableHtmlEscaping().create();

  private final JobConfig config;
  private final Path scratch;
  private final PrintStream out;

  public TinyReasonerJobEval(JobConfig config, Path scratch, PrintStream out) {
    this.config = config;
    this.scratch = scratch;
    this.out = out;
  }

  /** The arithmetic tasks ({@link Tasks#ALL}). */
  public Result run(int perTask, long seed, double[] budgetFractions) throws IOException {
    return run(Tasks.ALL, perTask, seed, budgetFractions);
  }

  public Result run(List<Task> tasks, int perTask, long seed, double[] budgetFractions) throws IOException {
    Files.createDirectories(scratch);
    List<Problem> problems = HeldOutPrompts.stratified(tasks, perTask, seed);
    List<String> ids = HeldOutPrompts.ids(problems);
    Path input = scratch.resolve("heldout.jsonl");
    Files.writeString(input, HeldOutPrompts.jsonl(problems), StandardCharsets.UTF_8);

    out.printf("%d held-out problems (%d per task) -> %s%n", problems.size(), perTask, input);
    Run unlimited = runJob(input, scratch.resolve("unlimited"), Map.of());
    List<TinyEval.Scored> scored = new ArrayList<>();
    int agree = 0;
    List<String> disagreements = new ArrayList<>();
    for (int i = 0; i < problems.size(); i++) {
      ResultRow r = unlimited.row(ids.get(i));
      TinyEval.Scored one = scored(problems.get(i), r);
      scored.add(one);
      if (Boolean.valueOf(one.correct()).equals(r.correct())) {
        agree++;
      } else if (disagreements.size() < SHOWN_DISAGREEMENTS) {
        disagreements.add(String.format("  %s: answer %s, reference %s, job's correct=%s, task's check=%s", ids.get(i),
            quoted(r.answer()), quoted(r.reference()), r.correct(), one.correct()));
      }
    }
    List<TinyEval.Row> accuracy = TinyEval.levelRows(scored);
    Map<String, Double> hardestMean = new HashMap<>();
    for (TinyEval.Row r : accuracy) {
      if (r.level() == Tasks.byName(r.task()).levels()) hardestMean.put(r.task(), r.meanReasoningTokens());
    }
    out.println();
    out.println("Accuracy through the job (" + runnerName(unlimited.settings()) + ", greedy), the task's check of the answer:");
    out.println(TinyEval.accuracyTable(accuracy));
    out.printf("job's correct column agrees with the task's check on %d of %d rows%n", agree, problems.size());
    disagreements.forEach(out::println);

    List<TinyEval.BudgetRow> budgets = new ArrayList<>();
    if (budgetFractions.length > 0) {
      Path budgetInput = scratch.resolve("budgets.jsonl");
      StringBuilder lines = new StringBuilder();
      for (double f : budgetFractions) {
        for (int i = 0; i < problems.size(); i++) {
          Problem p = problems.get(i);
          JsonObject o = new JsonObject();
          o.addProperty("id", ids.get(i) + tag(f));
          o.addProperty("prompt", p.prompt());
          o.addProperty("reference", Tasks.byName(p.task()).reference(p));
          o.addProperty("thinking_budget", TinyEval.budget(f, hardestMean.get(p.task())));
          lines.append(JSON.toJson(o)).append('\n');
        }
      }
      Files.writeString(budgetInput, lines.toString(), StandardCharsets.UTF_8);
      out.printf("%n%d budgeted rows (%d settings x %d problems) -> %s%n", budgetFractions.length * problems.size(),
          budgetFractions.length, problems.size(), budgetInput);
      Run budgeted = runJob(budgetInput, scratch.resolve("budgets"),
          Map.of("generation.answer_budget", TinyEval.ANSWER_BUDGET));
      Map<String, Map<Long, ReportRows.Accuracy>> curves = new LinkedHashMap<>();
      List<String[]> settings = new ArrayList<>();
      for (Task t : tasks) {
        TinyEval.BudgetRow unlimitedRow = TinyEval.budgetRow(t, "unlimited",
            scored.stream().filter(x -> x.problem().task().equals(t.name())).toList());
        budgets.add(unlimitedRow);
        settings.add(setting(unlimitedRow));
        Map<Long, ReportRows.Accuracy> curve = new TreeMap<>();
        for (double f : budgetFractions) {
          List<TinyEval.Scored> setting = new ArrayList<>();
          for (int i = 0; i < problems.size(); i++) {
            if (problems.get(i).task().equals(t.name())) {
              setting.add(scored(problems.get(i), budgeted.row(ids.get(i) + tag(f))));
            }
          }
          int budget = TinyEval.budget(f, hardestMean.get(t.name()));
          TinyEval.BudgetRow row = TinyEval.budgetRow(t, TinyEval.budgetLabel(f, budget), setting);
          budgets.add(row);
          settings.add(setting(row));
          curve.put((long) budget, new ReportRows.Accuracy(row.all().n(), row.all().correct()));
        }
        curves.put(String.format("%s (unlimited: %.0f%%)", t.name(), 100 * unlimitedRow.all().accuracy()), curve);
      }
      out.println();
      out.println("Accuracy vs thinking budget (fraction of the task's hardest-level mean reasoning tokens;"
          + " answer budget " + TinyEval.ANSWER_BUDGET + "):");
      out.println(TinyEval.budgetTable(budgets));
      Path report = scratch.resolve("report.html");
      Files.writeString(report, BudgetSweepReport.html(String.format("%d held-out problems per task, %s, answer budget %d",
          perTask, runnerName(budgeted.settings()), TinyEval.ANSWER_BUDGET), curves, settings), StandardCharsets.UTF_8);
      out.println("chart: " + report);
    }
    return new Result(accuracy, budgets, agree, problems.size());
  }

  /** One line of the sweep page's table: task and setting, then accuracy, budget cut-offs, mean reasoning. */
  private static String[] setting(TinyEval.BudgetRow b) {
    TinyEval.Row r = b.all();
    return new String[] {r.task() + ", thinking budget " + r.what(), String.format(
        "accuracy %.1f%% of %d; finish=budget %.0f%%; mean reasoning %.1f tokens", 100 * r.accuracy(), r.n(),
        100 * r.share(FinishReason.BUDGET), r.meanReasoningTokens())};
  }

  /** A text for one line: JSON-quoted, so line breaks and trailing spaces show; {@code null} as such. */
  private static String quoted(String text) {
    return text == null ? "null" : JSON.toJson(text);
  }

  /** The id suffix of a budget setting's rows, e.g. {@code @25}. */
  private static String tag(double fraction) {
    return "@" + Math.round(100 * fraction);
  }

  private static String runnerName(JobSettings s) {
    return "local".equals(s.runner()) ? "Arrow runner" : "Spark " + s.sparkMaster();
  }

  private Run runJob(Path input, Path output, Map<String, Object> extra) throws IOException {
    // everything that decides which rows run and how is pinned; the config keeps model, runner, engine, Spark
    Map<String, Object> pinned = new HashMap<>();
    pinned.put("input.path", input.toAbsolutePath().toString());
    pinned.put("input.format", "jsonl");
    pinned.put("input.limit", 0);
    for (String column : List.of("input.id_column", "input.prompt_column", "input.messages_column",
        "input.system_column", "input.reference_column")) {
      pinned.put(column, ConfigKeys.BY_NAME.get(column).defaultValue());
    }
    pinned.put("output.path", output.toAbsolutePath().toString());
    pinned.put("output.mode", "overwrite");
    pinned.put("generation.temperature", 0.0);
    pinned.put("generation.n", 1);
    pinned.put("generation.max_new_tokens", TinyEval.MAX_NEW_TOKENS); // the longest seating trace, as eval-tiny
    pinned.put("generation.thinking_budget", null);
    pinned.put("generation.answer_budget", null);
    pinned.put("job.examples", 0);
    pinned.putAll(extra);
    JobConfig c = config.with(pinned);
    JobSettings s = JobSettings.from(c);
    RunSummary summary = GenerateJob.execute(s);
    Map<String, ResultRow> rows = new HashMap<>();
    try (BufferAllocator allocator = new RootAllocator()) {
      for (ResultRow r : ArrowParquet.readAll(output.resolve("rows"), allocator)) {
        if (rows.putIfAbsent(r.id(), r) != null) throw new IllegalStateException("two output rows with id " + r.id());
      }
    }
    return new Run(rows, summary, s);
  }

  /** The task's own check of the answer text: exact match for arithmetic, any valid seating for seating. */
  static boolean correct(Problem p, ResultRow r) {
    return r.answer() != null && Tasks.byName(p.task()).isCorrect(p, r.answer().strip());
  }

  private static TinyEval.Scored scored(Problem p, ResultRow r) {
    return new TinyEval.Scored(p, correct(p, r), r.reasoningTokens(),
        FinishReason.valueOf(r.finishReason().toUpperCase(Locale.ROOT)));
  }
}
