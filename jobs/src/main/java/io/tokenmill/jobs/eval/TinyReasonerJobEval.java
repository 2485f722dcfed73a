package io.tokenmill.jobs.eval;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.train.HeldOutPrompts;
import io.tokenmill.engine.train.TinyEval;
import io.tokenmill.engine.train.tasks.Problem;
import io.tokenmill.engine.train.tasks.Task;
import io.tokenmill.engine.train.tasks.Tasks;
import io.tokenmill.jobs.config.ConfigKeys;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.local.ArrowParquet;
import io.tokenmill.jobs.local.LocalRunner;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.spark.SparkRunner;
import io.tokenmill.udfs.rows.ResultRow;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The tiny reasoner measured through the job itself (docs/MODELS.md): held-out problems written as a
 * prompt file, run by the configured runner (Spark by default) with greedy decoding, read back from the
 * output Parquet and tabulated per task and level. With budgets, a second run gives every problem again at
 * each fraction of its task's hardest-level mean reasoning length, as a per-row {@code thinking_budget}
 * column, and tabulates accuracy and {@code finish_reason = budget} per setting.
 *
 * <p>Accuracy is exact match of the answer text to the reference (what the model was trained to write);
 * the job's own {@code correct} column (the configured extractor and verifier) is reported beside it.
 */
public final class TinyReasonerJobEval {

  /** Answer tokens allowed after a forced {@code </think>}: the longest answer is 9 digits. */
  static final int ANSWER_BUDGET = 32;

  /** What one run gave: per-row results keyed by id, and the job's summary. */
  public record Run(Map<String, ResultRow> rows, RunSummary summary, JobSettings settings) {}

  /** Tables, printed and returned for tests. */
  public record Result(List<TinyEval.Row> accuracy, List<TinyEval.BudgetRow> budgets, int correctColumnAgrees,
      int rows) {}

  private final JobConfig config;
  private final Path scratch;
  private final PrintStream out;

  public TinyReasonerJobEval(JobConfig config, Path scratch, PrintStream out) {
    this.config = config;
    this.scratch = scratch;
    this.out = out;
  }

  public Result run(int perTask, long seed, double[] budgetFractions) throws IOException {
    Files.createDirectories(scratch);
    List<Problem> problems = HeldOutPrompts.stratified(perTask, seed);
    List<String> ids = HeldOutPrompts.ids(problems);
    Map<String, Problem> byId = new LinkedHashMap<>();
    for (int i = 0; i < problems.size(); i++) byId.put(ids.get(i), problems.get(i));
    Path input = scratch.resolve("heldout.jsonl");
    Files.writeString(input, HeldOutPrompts.jsonl(problems), StandardCharsets.UTF_8);

    out.printf("%d held-out problems (%d per task) -> %s%n", problems.size(), perTask, input);
    Run unlimited = runJob(input, scratch.resolve("unlimited"), Map.of());
    int[] agree = new int[1];
    List<TinyEval.Row> accuracy = new ArrayList<>();
    Map<String, Double> hardestMean = new HashMap<>();
    for (Task t : Tasks.ALL) {
      for (int level = 1; level <= t.levels(); level++) {
        List<Map.Entry<Problem, ResultRow>> cell = cell(byId, unlimited.rows(), t.name(), level, "");
        accuracy.add(row(t.name(), level, t.describe(level), cell, agree));
        if (level == t.levels()) hardestMean.put(t.name(), accuracy.get(accuracy.size() - 1).meanReasoningTokens());
      }
    }
    out.println();
    out.println("Accuracy through the job (" + runnerName(unlimited.settings()) + ", greedy), exact match of the answer:");
    out.println(TinyEval.accuracyTable(accuracy));
    out.printf("job's correct column agrees with exact match on %d of %d rows%n", agree[0], byId.size());

    List<TinyEval.BudgetRow> budgets = new ArrayList<>();
    if (budgetFractions.length > 0) {
      Path budgetInput = scratch.resolve("budgets.jsonl");
      Map<String, Problem> budgetById = new LinkedHashMap<>();
      Map<String, Integer> budgetOf = new LinkedHashMap<>();
      StringBuilder lines = new StringBuilder();
      var gson = new GsonBuilder().disableHtmlEscaping().create();
      for (double f : budgetFractions) {
        String tag = "@" + Math.round(100 * f);
        for (var e : byId.entrySet()) {
          Problem p = e.getValue();
          int budget = Math.max(1, (int) Math.round(f * hardestMean.get(p.task())));
          budgetOf.put(p.task() + tag, budget);
          JsonObject o = new JsonObject();
          o.addProperty("id", e.getKey() + tag);
          o.addProperty("prompt", p.prompt());
          o.addProperty("reference", p.answer());
          o.addProperty("thinking_budget", budget);
          lines.append(gson.toJson(o)).append('\n');
          budgetById.put(e.getKey() + tag, p);
        }
      }
      Files.writeString(budgetInput, lines.toString(), StandardCharsets.UTF_8);
      out.printf("%n%d budgeted rows (%d settings x %d problems) -> %s%n", budgetById.size(), budgetFractions.length,
          byId.size(), budgetInput);
      Run budgeted = runJob(budgetInput, scratch.resolve("budgets"), Map.of("generation.answer_budget", ANSWER_BUDGET));
      for (Task t : Tasks.ALL) {
        budgets.add(budgetRow(t, "unlimited", byId, unlimited.rows(), ""));
        for (double f : budgetFractions) {
          String tag = "@" + Math.round(100 * f);
          budgets.add(budgetRow(t, Math.round(100 * f) + "% = " + budgetOf.get(t.name() + tag), budgetById,
              budgeted.rows(), tag));
        }
      }
      out.println();
      out.println("Accuracy vs thinking budget (fraction of the task's hardest-level mean reasoning tokens;"
          + " answer budget " + ANSWER_BUDGET + "):");
      out.println(TinyEval.budgetTable(budgets));
    }
    return new Result(accuracy, budgets, agree[0], byId.size());
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
    pinned.put("generation.thinking_budget", null);
    pinned.put("generation.answer_budget", null);
    pinned.put("job.examples", 0);
    pinned.putAll(extra);
    JobConfig c = config.with(pinned);
    JobSettings s = JobSettings.from(c);
    RunSummary summary = "local".equals(s.runner()) ? LocalRunner.run(s) : SparkRunner.run(s);
    Map<String, ResultRow> rows = new HashMap<>();
    try (BufferAllocator allocator = new RootAllocator()) {
      for (ResultRow r : ArrowParquet.readAll(output.resolve("rows"), allocator)) {
        if (rows.putIfAbsent(r.id(), r) != null) throw new IllegalStateException("two output rows with id " + r.id());
      }
    }
    return new Run(rows, summary, s);
  }

  /** The (problem, row) pairs of one task and level whose ids end with {@code tag}; a missing row is an error. */
  private static List<Map.Entry<Problem, ResultRow>> cell(Map<String, Problem> byId, Map<String, ResultRow> rows,
      String task, int level, String tag) {
    List<Map.Entry<Problem, ResultRow>> cell = new ArrayList<>();
    for (var e : byId.entrySet()) {
      Problem p = e.getValue();
      if (!p.task().equals(task) || (level > 0 && p.level() != level) || !e.getKey().endsWith(tag)) continue;
      ResultRow r = rows.get(e.getKey());
      if (r == null) throw new IllegalStateException("the job wrote no row for id " + e.getKey());
      cell.add(Map.entry(p, r));
    }
    return cell;
  }

  static boolean exactMatch(Problem p, ResultRow r) {
    return r.answer() != null && r.answer().strip().equals(p.answer());
  }

  private static TinyEval.Row row(String task, int level, String what, List<Map.Entry<Problem, ResultRow>> cell,
      int[] agree) {
    int correct = 0;
    long reasoning = 0;
    Map<FinishReason, Integer> finish = new EnumMap<>(FinishReason.class);
    for (var e : cell) {
      boolean exact = exactMatch(e.getKey(), e.getValue());
      if (exact) correct++;
      if (agree != null && Boolean.valueOf(exact).equals(e.getValue().correct())) agree[0]++;
      reasoning += e.getValue().reasoningTokens();
      finish.merge(FinishReason.valueOf(e.getValue().finishReason().toUpperCase(Locale.ROOT)), 1, Integer::sum);
    }
    int distinct = (int) cell.stream().map(e -> e.getKey().prompt()).distinct().count();
    return new TinyEval.Row(task, level, what, cell.size(), distinct, correct,
        cell.isEmpty() ? 0 : (double) reasoning / cell.size(), finish);
  }

  private static TinyEval.BudgetRow budgetRow(Task t, String what, Map<String, Problem> byId,
      Map<String, ResultRow> rows, String tag) {
    Map<Integer, Double> byLevel = new LinkedHashMap<>();
    for (int level = 1; level <= t.levels(); level++) {
      byLevel.put(level, row(t.name(), level, "", cell(byId, rows, t.name(), level, tag), null).accuracy());
    }
    return new TinyEval.BudgetRow(row(t.name(), 0, what, cell(byId, rows, t.name(), 0, tag), null), byLevel);
  }
}
