package io.tokenmill.reasoner;

import io.tokenmill.engine.inference.Engine;
import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.inference.GenerationRequest;
import io.tokenmill.engine.inference.GenerationResult;
import io.tokenmill.engine.inference.ReasoningOptions;
import io.tokenmill.engine.inference.RequestHandle;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Task;
import io.tokenmill.reasoner.tasks.Tasks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Measures a model directory on held-out problems through the inference engine, exactly as a job would
 * run it: {@link ModelDir} → tokenizer and chat template → {@link DecoderModel} → {@link Engine} with
 * greedy sampling, the reasoning format detected from the template. Exact match of the parsed answer
 * (text after {@code </think>}) against the reference. Used by {@code bin/tokenmill eval-tiny}, the CI
 * accuracy test and docs/MODELS.md.
 *
 * <pre>{@code
 * try (TinyEval eval = TinyEval.open(Path.of("data-samples/models/tiny-reasoner"))) {
 *   List<TinyEval.Outcome> out = eval.run(problems, ReasoningOptions.DEFAULT);
 *   System.out.println(TinyEval.accuracyTable(TinyEval.byLevel(out)));
 * }
 * }</pre>
 */
public final class TinyEval implements AutoCloseable {

  /**
   * Longest output: the longest check-all seating trace of the held-out puzzles is 3,250 tokens (6 guests;
   * 16 of the 50 six-guest ones and 4 of the 50 five-guest ones run past 1,550, the cap this replaced,
   * which scored them wrong whatever the model wrote), arithmetic ~250; plus the answer line and any
   * forced transition. A model that loops stops here or at {@link #MAX_SEQ_LEN}.
   */
  public static final int MAX_NEW_TOKENS = 3_500;

  /**
   * Longest sequence the engine admits: the trained models' positions (max_position_embeddings 4,096);
   * every held-out seating prompt plus its trace fits (longest ~4,000).
   */
  public static final int MAX_SEQ_LEN = 4_096;

  /**
   * Answer tokens allowed after a forced {@code </think>} in the budget sweeps: the longest arithmetic
   * answer is 9 digits, the longest seating answer line ~50 tokens ({@code Seating: } and six names).
   */
  public static final int ANSWER_BUDGET = 64;

  /** One problem's result. */
  public record Outcome(Problem problem, GenerationResult result) {
    /** Exact match for arithmetic; any valid seating for seating puzzles ({@link Task#isCorrect}). */
    public boolean correct() {
      return Tasks.byName(problem.task()).isCorrect(problem, result.answer());
    }

    public Scored scored() {
      return new Scored(problem, correct(), result.reasoningTokens(), result.finishReason());
    }
  }

  /**
   * What the tables count of one problem's result, wherever it was generated: through the engine here
   * ({@link Outcome#scored}) or read back from a job's output rows ({@code eval-tiny-job}).
   */
  public record Scored(Problem problem, boolean correct, int reasoningTokens, FinishReason finish) {}

  /** Aggregate of one (task, level) cell, or of a budget setting. */
  public record Row(String task, int level, String what, int n, int distinct, int correct,
      double meanReasoningTokens, Map<FinishReason, Integer> finish) {
    public double accuracy() {
      return n == 0 ? 0 : (double) correct / n;
    }

    public double share(FinishReason r) {
      return n == 0 ? 0 : (double) finish.getOrDefault(r, 0) / n;
    }
  }

  private final LoadedModel loaded;
  private final Engine engine;
  private final ProblemEncoder encoder;
  private final ReasoningFormat format;

  private TinyEval(LoadedModel loaded) {
    this.loaded = loaded;
    this.engine = loaded.engine();
    this.format = loaded.format();
    this.encoder = new ProblemEncoder(loaded.tokenizer());
  }

  /** Loads a model directory through the engine's front door (as jobs and the CLI do) on CPU. */
  public static TinyEval open(Path modelDir) {
    LoadedModel.Options options = LoadedModel.Options.builder().optMaxBatch(128).optMaxSeqLen(MAX_SEQ_LEN)
        .optKvMemoryBytes(512L << 20).optMaxTokensPerStep(1024).optQueueCapacity(256).build();
    return new TinyEval(LoadedModel.open(modelDir, ComputeDevice.cpu(), options));
  }

  public ReasoningFormat format() {
    return format;
  }

  public ProblemEncoder encoder() {
    return encoder;
  }

  /** Generates greedily for every problem (all queued at once; the engine batches them). */
  public List<Outcome> run(List<Problem> problems, ReasoningOptions reasoning) {
    SamplingParams greedy = SamplingParams.builder().optTemperature(0).optMaxNewTokens(MAX_NEW_TOKENS).build();
    List<RequestHandle> handles = new ArrayList<>();
    try {
      for (int i = 0; i < problems.size(); i++) {
        Problem p = problems.get(i);
        handles.add(engine.submit(new GenerationRequest(i + ":" + p.id(), encoder.prompt(p), greedy, reasoning)));
      }
      List<Outcome> out = new ArrayList<>();
      for (int i = 0; i < problems.size(); i++) {
        out.add(new Outcome(problems.get(i), handles.get(i).results().get().get(0)));
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("generation failed: " + e.getCause(), e.getCause());
    }
  }

  /** Held-out problems of every arithmetic task: {@code perLevel} of each level. */
  public static List<Problem> heldOut(int perLevel, long seed) {
    return heldOut(Tasks.ALL, perLevel, seed);
  }

  /** Held-out problems of {@code tasks}: {@code perLevel} of each level. */
  public static List<Problem> heldOut(List<Task> tasks, int perLevel, long seed) {
    List<Problem> out = new ArrayList<>();
    for (Task t : tasks) out.addAll(Tasks.heldOut(t, perLevel, seed));
    return out;
  }

  /**
   * "Answer at once": thinking budget 0, so {@code </think>} is forced before any token (no transition
   * text) and the model answers.
   */
  public static final ReasoningOptions AT_ONCE = new ReasoningOptions(true, 0, 64, "");

  /** Groups outcomes by (task, level), in the order the groups first appear. */
  public static List<Row> byLevel(List<Outcome> outcomes) {
    return levelRows(scored(outcomes));
  }

  /** Groups scored results by (task, level), in the order the groups first appear. */
  public static List<Row> levelRows(List<Scored> scored) {
    Map<String, List<Scored>> groups = new LinkedHashMap<>();
    for (Scored o : scored) {
      groups.computeIfAbsent(o.problem().task() + "\u0000" + o.problem().level(), k -> new ArrayList<>()).add(o);
    }
    List<Row> rows = new ArrayList<>();
    groups.forEach((k, list) -> {
      Problem p = list.get(0).problem();
      rows.add(row(p.task(), p.level(), Tasks.byName(p.task()).describe(p.level()), list));
    });
    return rows;
  }

  /** One row over a list of scored results. */
  public static Row row(String task, int level, String what, List<Scored> list) {
    int correct = 0;
    long reasoning = 0;
    Map<FinishReason, Integer> finish = new EnumMap<>(FinishReason.class);
    for (Scored o : list) {
      if (o.correct()) correct++;
      reasoning += o.reasoningTokens();
      finish.merge(o.finish(), 1, Integer::sum);
    }
    int distinct = (int) list.stream().map(o -> o.problem().prompt()).distinct().count();
    return new Row(task, level, what, list.size(), distinct, correct,
        list.isEmpty() ? 0 : (double) reasoning / list.size(), finish);
  }

  /** Markdown: per task and level, accuracy and mean reasoning tokens; a total line per task. */
  public static String accuracyTable(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| task | level | problems | n (distinct) | accuracy | mean reasoning tokens |\n");
    sb.append("|---|---|---|---|---|---|\n");
    Map<String, int[]> totals = new LinkedHashMap<>();
    for (Row r : rows) {
      sb.append(String.format("| %s | %d | %s | %d (%d) | %.1f%% | %.1f |%n", r.task(), r.level(), r.what(), r.n(),
          r.distinct(), 100 * r.accuracy(), r.meanReasoningTokens()));
      int[] t = totals.computeIfAbsent(r.task(), k -> new int[2]);
      t[0] += r.correct();
      t[1] += r.n();
    }
    totals.forEach((task, t) -> sb.append(String.format("| **%s** | all | | %d | **%.1f%%** | |%n", task, t[1],
        100.0 * t[0] / t[1])));
    return sb.toString();
  }

  /** One budget setting of one task: overall row plus accuracy per level. */
  public record BudgetRow(Row all, Map<Integer, Double> accuracyByLevel) {}

  /**
   * Accuracy against a thinking budget. Per task: its held-out problems of every level, first without a
   * budget, then with budgets of each fraction of the mean reasoning tokens the task's hardest level
   * needs (measured in the unlimited run). Easier problems fit under a budget and still finish; harder
   * ones are cut off ({@code finish_reason = budget}): the transition text and {@code </think>} are
   * forced and the model must answer from partial work.
   */
  public List<BudgetRow> budgetSweep(int perLevel, long seed, double[] fractions) {
    return budgetSweep(Tasks.ALL, perLevel, seed, fractions, false);
  }

  /** As above for {@code tasks}, and with {@code atOnce} also the {@link #AT_ONCE} setting last. */
  public List<BudgetRow> budgetSweep(List<Task> tasks, int perLevel, long seed, double[] fractions, boolean atOnce) {
    List<BudgetRow> rows = new ArrayList<>();
    for (Task t : tasks) {
      List<Problem> problems = Tasks.heldOut(t, perLevel, seed);
      List<Outcome> unlimited = run(problems, ReasoningOptions.DEFAULT);
      rows.add(budgetRow(t, "unlimited", scored(unlimited)));
      double hardest = unlimited.stream().filter(o -> o.problem().level() == t.levels())
          .mapToInt(o -> o.result().reasoningTokens()).average().orElseThrow();
      for (double f : fractions) {
        int budget = budget(f, hardest);
        ReasoningOptions opts = new ReasoningOptions(true, budget, ANSWER_BUDGET, ReasoningOptions.DEFAULT_TRANSITION);
        rows.add(budgetRow(t, budgetLabel(f, budget), scored(run(problems, opts))));
      }
      if (atOnce) rows.add(budgetRow(t, "answer at once (0)", scored(run(problems, AT_ONCE))));
    }
    return rows;
  }

  /**
   * The thinking budget of a sweep setting: {@code fraction} of the hardest level's mean reasoning tokens
   * (at least 1), or 0 (answer at once) for fraction 0.
   */
  public static int budget(double fraction, double hardestMeanReasoningTokens) {
    if (fraction == 0) return 0;
    return Math.max(1, (int) Math.round(fraction * hardestMeanReasoningTokens));
  }

  /** A sweep setting as the budget table names it, e.g. {@code 25% = 51}. */
  public static String budgetLabel(double fraction, int budget) {
    if (budget == 0) return "0 = answer at once";
    return Math.round(100 * fraction) + "% = " + budget;
  }

  private static List<Scored> scored(List<Outcome> outcomes) {
    return outcomes.stream().map(Outcome::scored).toList();
  }

  /** One budget setting of task {@code t} over its scored results: the overall row and accuracy per level. */
  public static BudgetRow budgetRow(Task t, String what, List<Scored> scored) {
    Map<Integer, Double> byLevel = new LinkedHashMap<>();
    for (Row r : levelRows(scored)) byLevel.put(r.level(), r.accuracy());
    return new BudgetRow(row(t.name(), 0, what, scored), byLevel);
  }

  /** Markdown for {@link #budgetSweep}. */
  public static String budgetTable(List<BudgetRow> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| task | thinking budget (tokens) | n | accuracy | L1 | L2 | L3 | L4 | finish=budget | mean reasoning tokens |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (BudgetRow b : rows) {
      Row r = b.all();
      StringBuilder levels = new StringBuilder();
      for (int level = 1; level <= 4; level++) {
        Double a = b.accuracyByLevel().get(level);
        levels.append(a == null ? " | " : String.format(" | %.0f%%", 100 * a));
      }
      sb.append(String.format("| %s | %s | %d | %.1f%%%s | %.0f%% | %.1f |%n", r.task(), r.what(), r.n(),
          100 * r.accuracy(), levels, 100 * r.share(FinishReason.BUDGET), r.meanReasoningTokens()));
    }
    return sb.toString();
  }

  @Override
  public void close() {
    loaded.close();
  }
}
