package io.tokenmill.udfs.eval.seating;

import java.util.ArrayList;
import java.util.List;

/**
 * Brute force: every ordering of the guests that {@link SeatingPuzzle#isSolvedBy} accepts (7 guests =
 * 5040 orderings). Test scope: it backs the puzzle generator and the checks on committed puzzles.
 */
public final class SeatingSolver {

  private SeatingSolver() {}

  /** All solutions, as seat lists, in lexicographic order of guest indices. */
  public static List<List<String>> solutions(SeatingPuzzle puzzle) {
    List<List<String>> found = new ArrayList<>();
    forEachOrdering(puzzle.guests(), order -> {
      if (puzzle.isSolvedBy(order)) found.add(List.copyOf(order));
    });
    return found;
  }

  /** Some ordering of all guests that breaks at least one constraint, or null if none does. */
  public static List<String> violation(SeatingPuzzle puzzle) {
    List<List<String>> found = new ArrayList<>();
    forEachOrdering(puzzle.guests(), order -> {
      if (found.isEmpty() && !puzzle.isSolvedBy(order)) found.add(List.copyOf(order));
    });
    return found.isEmpty() ? null : found.get(0);
  }

  static void forEachOrdering(List<String> items, java.util.function.Consumer<List<String>> visit) {
    permute(new ArrayList<>(items), 0, visit);
  }

  private static void permute(List<String> a, int k, java.util.function.Consumer<List<String>> visit) {
    if (k == a.size()) {
      visit.accept(a);
      return;
    }
    for (int i = k; i < a.size(); i++) {
      java.util.Collections.swap(a, k, i);
      permute(a, k + 1, visit);
      java.util.Collections.swap(a, k, i);
    }
  }
}
