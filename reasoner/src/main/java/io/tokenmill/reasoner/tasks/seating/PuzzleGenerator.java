package io.tokenmill.reasoner.tasks.seating;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Draws seating puzzles the way the committed ones were made: hide a random arrangement, offer the rules
 * that are true of it in random order (fixed seats last: they make puzzles trivial), keep each one that
 * cuts the number of solutions until at most the target is left, then drop the rules the others imply.
 * The hidden arrangement obeys every rule, so every puzzle has a solution.
 */
public final class PuzzleGenerator {

  /** The guest names of the committed puzzles, alphabetical with distinct initials (the trace writes initials). */
  public static final List<String> NAMES = List.of(
      "Alice", "Bob", "Carol", "Dan", "Eve", "Frank", "Grace", "Hugo", "Ivy", "Jack", "Kim", "Leo");

  private PuzzleGenerator() {}

  /**
   * A puzzle of {@code n} guests at a row or a round table with at most {@code targetSolutions} solutions
   * (at a table counted up to rotation and reflection).
   */
  public static Puzzle generate(int n, boolean table, int targetSolutions, RandomGenerator rng) {
    List<String> pool = new ArrayList<>(NAMES);
    shuffle(pool, rng);
    List<String> guests = new ArrayList<>(pool.subList(0, n));
    List<String> hidden = new ArrayList<>(guests);
    shuffle(hidden, rng);
    guests.sort(Comparator.comparingInt(NAMES::indexOf));

    List<Rule> candidates = trueOf(hidden, table);
    shuffle(candidates, rng);
    candidates.sort(Comparator.comparing(r -> r.kind() == Rule.Kind.SEAT)); // stable: the rest stay shuffled
    int target = targetSolutions * (table ? 2 * n : 1);
    List<Rule> chosen = new ArrayList<>();
    int count = count(table, guests, chosen);
    for (Rule r : candidates) {
      if (count <= target) break;
      chosen.add(r);
      int narrowed = count(table, guests, chosen);
      if (narrowed < count) count = narrowed;
      else chosen.remove(chosen.size() - 1);
    }
    for (Rule r : List.copyOf(chosen)) {
      int at = chosen.indexOf(r);
      chosen.remove(at);
      if (count(table, guests, chosen) != count) chosen.add(at, r); // needed: back in its place
    }
    return new Puzzle(table, guests, chosen);
  }

  private static List<Rule> trueOf(List<String> seats, boolean table) {
    int n = seats.size();
    List<Rule> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String a = seats.get(i);
      if (!table) {
        all.add(Rule.single(i == 0 || i == n - 1 ? Rule.Kind.AT_END : Rule.Kind.NOT_AT_END, a));
        all.add(new Rule(Rule.Kind.SEAT, a, null, i + 1));
      }
      for (int j = i + 1; j < n; j++) {
        String b = seats.get(j);
        boolean near = Rule.neighbours(i, j, n, table);
        all.add(Rule.pair(near ? Rule.Kind.ADJACENT : Rule.Kind.NOT_ADJACENT, a, b));
        if (!table && !near) all.add(Rule.pair(Rule.Kind.LEFT_OF, a, b));
      }
    }
    return all;
  }

  private static int count(boolean table, List<String> guests, List<Rule> rules) {
    return new Puzzle(table, guests, rules).solutions().size();
  }

  private static <T> void shuffle(List<T> list, RandomGenerator rng) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      T t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }
}
