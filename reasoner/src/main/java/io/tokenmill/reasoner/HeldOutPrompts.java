package io.tokenmill.reasoner;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Task;
import io.tokenmill.reasoner.tasks.Tasks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The held-out prompt file the demo job runs ({@code data-samples/prompts/arith-heldout.jsonl}): one JSON
 * object per line, {@code {"id", "prompt", "reference", "task", "level"}}, where {@code prompt} is the
 * user message exactly as in training (a job renders it through the model's chat template) and
 * {@code reference} is the exact expected answer. Every problem is in the held-out slice, so none was
 * trained on.
 */
public final class HeldOutPrompts {

  private HeldOutPrompts() {}

  /**
   * {@code perTask} problems of each task, spread over its levels (the remainder on the hardest), each
   * level's strata in the shares training used ({@link Tasks#heldOut}). Small levels repeat problems
   * once a stratum's held-out slice is used up: the evaluation sample of {@code eval-tiny-job}.
   */
  public static List<Problem> stratified(int perTask, long seed) {
    return stratified(Tasks.ALL, perTask, seed);
  }

  /** As {@link #stratified(int, long)}, for the given tasks (e.g. seating). */
  public static List<Problem> stratified(List<Task> tasks, int perTask, long seed) {
    List<Problem> out = new ArrayList<>();
    for (Task t : tasks) {
      for (int level = 1; level <= t.levels(); level++) out.addAll(Tasks.heldOut(t, level, perLevel(t, level, perTask), seed));
    }
    return out;
  }

  /**
   * Like {@link #stratified}, but without repeats: a repeated problem is replaced by the next problem of
   * the same level (any stratum) not yet drawn. For prompt files and fixed test samples, where a repeat
   * would be a wasted row. Fails when a level has fewer distinct held-out problems than asked for.
   */
  public static List<Problem> sample(int perTask, long seed) {
    return sample(Tasks.ALL, perTask, seed);
  }

  /** {@link #sample(int, long)} over {@code tasks}. */
  public static List<Problem> sample(List<Task> tasks, int perTask, long seed) {
    List<Problem> out = new ArrayList<>();
    for (Task t : tasks) {
      for (int level = 1; level <= t.levels(); level++) {
        int n = perLevel(t, level, perTask);
        Map<String, Problem> distinct = new LinkedHashMap<>();
        List<Problem> drawn = Tasks.heldOut(t, level, n, seed);
        for (Problem p : drawn) distinct.putIfAbsent(p.prompt(), p);
        if (distinct.size() < n) {
          List<Problem> spare = Tasks.heldOut(t, level, 8 * n, seed + 1);
          for (int i = 0; i < spare.size() && distinct.size() < n; i++) distinct.putIfAbsent(spare.get(i).prompt(), spare.get(i));
          if (distinct.size() < n) {
            throw new IllegalArgumentException(t.name() + " level " + level + " has only " + distinct.size()
                + " distinct held-out problems found, " + n + " asked for");
          }
        }
        out.addAll(distinct.values());
      }
    }
    return out;
  }

  private static int perLevel(Task t, int level, int perTask) {
    return perTask / t.levels() + (level > t.levels() - perTask % t.levels() ? 1 : 0);
  }

  /**
   * Row ids for {@code problems}, in order: each problem's {@link Problem#id()}, with {@code -2}, {@code -3},
   * ... appended to its repeats (small levels of a large sample repeat problems; a job needs unique ids).
   */
  public static List<String> ids(List<Problem> problems) {
    Map<String, Integer> seen = new HashMap<>();
    List<String> ids = new ArrayList<>(problems.size());
    for (Problem p : problems) {
      int k = seen.merge(p.id(), 1, Integer::sum);
      ids.add(k == 1 ? p.id() : p.id() + "-" + k);
    }
    return ids;
  }

  public static String jsonl(List<Problem> problems) {
    var gson = new GsonBuilder().disableHtmlEscaping().create();
    StringBuilder sb = new StringBuilder();
    List<String> ids = ids(problems);
    for (int i = 0; i < problems.size(); i++) {
      Problem p = problems.get(i);
      JsonObject o = new JsonObject();
      o.addProperty("id", ids.get(i));
      o.addProperty("prompt", p.prompt());
      o.addProperty("reference", Tasks.byName(p.task()).reference(p));
      o.addProperty("task", p.task());
      o.addProperty("level", p.level());
      sb.append(gson.toJson(o)).append('\n');
    }
    return sb.toString();
  }

  /** Writes {@link #sample} as JSON lines. */
  public static List<Problem> write(Path file, int perTask, long seed) throws IOException {
    return write(file, Tasks.ALL, perTask, seed);
  }

  /** Writes {@link #sample} of {@code tasks} as JSON lines. */
  public static List<Problem> write(Path file, List<Task> tasks, int perTask, long seed) throws IOException {
    List<Problem> problems = sample(tasks, perTask, seed);
    if (file.getParent() != null) Files.createDirectories(file.getParent());
    Files.writeString(file, jsonl(problems), StandardCharsets.UTF_8);
    return problems;
  }
}
