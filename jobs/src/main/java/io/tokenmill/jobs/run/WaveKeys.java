package io.tokenmill.jobs.run;

import io.tokenmill.udfs.rows.ResultRow;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The check that runs before a wave is committed: the rows staged for it hold exactly the (id, sample)
 * keys the wave owes — each owed id's samples {@code [0, n)} less those an earlier run committed — each
 * once, and nothing else. A wave that fails it is thrown away and generated again, so a lost or repeated
 * row can never become visible, whatever caused it.
 */
public final class WaveKeys {

  /** Problems listed in a failure message; the rest are counted. */
  public static final int SHOWN = 8;

  private WaveKeys() {}

  /**
   * What is wrong with one id's staged samples, or null when they are exactly what the wave owes.
   *
   * @param owed whether the wave owes this id at all
   * @param committed samples of this id committed by an earlier run (not owed again)
   * @param written the samples staged for this id, repeats included
   */
  public static String problem(String id, boolean owed, int n, Set<Integer> committed, Collection<Integer> written) {
    if (!owed) return "id '" + id + "': " + written.size() + " row(s) staged, the wave owes none";
    Map<Integer, Integer> counts = new TreeMap<>();
    for (Integer s : written) counts.merge(s, 1, Integer::sum);
    TreeSet<Integer> missing = new TreeSet<>();
    for (int s = 0; s < n; s++) if (!committed.contains(s) && !counts.containsKey(s)) missing.add(s);
    List<String> wrong = new ArrayList<>();
    if (!missing.isEmpty()) wrong.add("missing sample(s) " + missing);
    counts.forEach((s, c) -> {
      if (s < 0 || s >= n) wrong.add("sample " + s + " is outside [0, " + n + ")");
      else if (committed.contains(s)) wrong.add("sample " + s + " was already committed");
      if (c > 1) wrong.add("sample " + s + " staged " + c + " times");
    });
    return wrong.isEmpty() ? null : "id '" + id + "': " + String.join(", ", wrong);
  }

  /** Checks staged rows against the ids a wave owes; an empty list when they match exactly. */
  public static List<String> check(Collection<String> owedIds, int n, Function<String, Set<Integer>> committed,
      Collection<ResultRow> staged) {
    Map<String, List<Integer>> byId = new HashMap<>();
    for (ResultRow r : staged) byId.computeIfAbsent(r.id(), k -> new ArrayList<>()).add(r.sample());
    List<String> problems = new ArrayList<>();
    for (String id : owedIds) {
      String p = problem(id, true, n, committed.apply(id), byId.getOrDefault(id, List.of()));
      if (p != null) problems.add(p);
      byId.remove(id);
    }
    byId.forEach((id, samples) -> problems.add(problem(id, false, n, Set.of(), samples)));
    return problems;
  }

  /** One message for a failed check: the first {@link #SHOWN} problems and how many more there were. */
  public static String describe(List<String> problems) {
    List<String> sorted = new ArrayList<>(new TreeSet<>(problems));
    String shown = String.join("; ", sorted.subList(0, Math.min(SHOWN, sorted.size())));
    return sorted.size() > SHOWN ? shown + "; and " + (sorted.size() - SHOWN) + " more" : shown;
  }

  /** Thrown when a wave still fails the check after every retry; nothing of that wave was committed. */
  public static final class Mismatch extends IllegalStateException {
    public Mismatch(String message) {
      super(message);
    }
  }
}
