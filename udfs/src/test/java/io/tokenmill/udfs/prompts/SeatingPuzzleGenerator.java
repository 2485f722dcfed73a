package io.tokenmill.udfs.prompts;

import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.ADJACENT;
import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.AT_END;
import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.LEFT_OF;
import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.NOT_ADJACENT;
import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.NOT_AT_END;

import com.google.gson.JsonObject;
import io.tokenmill.udfs.eval.seating.SeatingConstraint;
import io.tokenmill.udfs.eval.seating.SeatingLayout;
import io.tokenmill.udfs.eval.seating.SeatingPuzzle;
import io.tokenmill.udfs.eval.seating.SeatingSolver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Deterministic seating puzzles for {@code data-samples/prompts/seating.jsonl}. Each puzzle hides a
 * random arrangement and adds true-of-it constraints, in random order, while they cut the solution
 * count (by brute force), until at most the target count is left; then drops constraints the others
 * imply. The hidden arrangement always obeys every constraint, so every puzzle has a solution.
 */
final class SeatingPuzzleGenerator {

  static final long SEED = 20250601L;
  static final int COUNT = 40;
  private static final List<String> NAMES = List.of(
      "Alice", "Bob", "Carol", "Dan", "Eve", "Frank", "Grace", "Hugo", "Ivy", "Jack", "Kim", "Leo");
  private static final String[] NUMBER_WORDS = {"", "", "Two", "Three", "Four", "Five", "Six", "Seven"};

  private SeatingPuzzleGenerator() {}

  static List<JsonObject> lines() {
    Random rng = new Random(SEED);
    List<JsonObject> lines = new ArrayList<>();
    for (int i = 0; i < COUNT; i++) {
      int guests = 3 + i % 5;
      SeatingLayout layout = guests >= 4 && i % 4 == 3 ? SeatingLayout.TABLE : SeatingLayout.ROW;
      // Most puzzles have one answer (up to the table's rotations and reflections); every third allows
      // a few (two for the smallest), so the verifier is exercised where several answers are right.
      int symmetry = layout == SeatingLayout.TABLE ? 2 * guests : 1;
      int targetSolutions = (i % 3 != 0 ? 1 : guests <= 4 ? 2 : 3) * symmetry;
      SeatingPuzzle puzzle = generate(rng, guests, layout, targetSolutions);
      JsonObject line = PromptLine.of(PromptLine.id("seating", i), "seating", prompt(puzzle), puzzle.toJson());
      line.addProperty("layout", layout.jsonName());
      line.addProperty("guests", guests);
      line.addProperty("solutions", SeatingSolver.solutions(puzzle).size());
      lines.add(line);
    }
    return lines;
  }

  static SeatingPuzzle generate(Random rng, int n, SeatingLayout layout, int targetSolutions) {
    List<String> guests = new ArrayList<>(NAMES);
    Collections.shuffle(guests, rng);
    guests = new ArrayList<>(guests.subList(0, n));
    List<String> hidden = new ArrayList<>(guests);
    Collections.shuffle(hidden, rng);
    Collections.sort(guests, Comparator.comparingInt(NAMES::indexOf));

    List<SeatingConstraint> candidates = trueOf(hidden, layout);
    Collections.shuffle(candidates, rng);
    // Fixed seats make puzzles trivial: use them only when nothing else narrows the answer enough.
    candidates.sort(Comparator.comparing(c -> c.kind() == SeatingConstraint.Kind.SEAT));

    List<SeatingConstraint> chosen = new ArrayList<>();
    int count = countSolutions(layout, guests, chosen);
    for (SeatingConstraint c : candidates) {
      if (count <= targetSolutions) break;
      chosen.add(c);
      int narrowed = countSolutions(layout, guests, chosen);
      if (narrowed < count) count = narrowed;
      else chosen.remove(chosen.size() - 1);
    }
    for (SeatingConstraint c : List.copyOf(chosen)) {
      chosen.remove(c);
      if (countSolutions(layout, guests, chosen) != count) chosen.add(c); // needed: back, in order
    }
    return new SeatingPuzzle(layout, guests, chosen);
  }

  private static List<SeatingConstraint> trueOf(List<String> seats, SeatingLayout layout) {
    int n = seats.size();
    List<SeatingConstraint> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String a = seats.get(i);
      if (layout == SeatingLayout.ROW) {
        all.add(SeatingConstraint.single(i == 0 || i == n - 1 ? AT_END : NOT_AT_END, a));
        all.add(SeatingConstraint.seat(a, i + 1));
      }
      for (int j = i + 1; j < n; j++) {
        String b = seats.get(j);
        boolean near = j - i == 1 || (layout == SeatingLayout.TABLE && j - i == n - 1);
        all.add(SeatingConstraint.pair(near ? ADJACENT : NOT_ADJACENT, a, b));
        if (layout == SeatingLayout.ROW && !near) all.add(SeatingConstraint.pair(LEFT_OF, a, b));
      }
    }
    return all;
  }

  private static int countSolutions(SeatingLayout layout, List<String> guests, List<SeatingConstraint> rules) {
    return SeatingSolver.solutions(new SeatingPuzzle(layout, guests, rules)).size();
  }

  static String prompt(SeatingPuzzle puzzle) {
    int n = puzzle.guests().size();
    String names = String.join(", ", puzzle.guests().subList(0, n - 1)) + " and " + puzzle.guests().get(n - 1);
    StringBuilder p = new StringBuilder();
    if (puzzle.layout() == SeatingLayout.ROW) {
      p.append(NUMBER_WORDS[n]).append(" friends, ").append(names).append(", sit in a row of ").append(n)
          .append(" seats numbered 1 to ").append(n).append(" from left to right, one person per seat. ")
          .append("\"Next to\" means in a neighbouring seat.\n");
    } else {
      p.append(NUMBER_WORDS[n]).append(" friends, ").append(names).append(", sit around a round table with ")
          .append(n).append(" chairs, one person per chair. \"Next to\" means in a neighbouring chair.\n");
    }
    p.append("Find a seating that satisfies all of these conditions:\n");
    for (int i = 0; i < puzzle.constraints().size(); i++) {
      p.append(i + 1).append(". ").append(puzzle.constraints().get(i).sentence()).append('\n');
    }
    p.append("If several seatings work, any one of them is accepted. End your answer with one line of the form\n");
    if (puzzle.layout() == SeatingLayout.ROW) {
      p.append("Seating: <seat 1>, <seat 2>, ..., <seat ").append(n).append(">\n")
          .append("listing all ").append(n).append(" names from left to right.");
    } else {
      p.append("Seating: <name>, <name>, ..., <name>\n")
          .append("listing all ").append(n).append(" names in clockwise order, starting with anyone.");
    }
    return p.toString();
  }
}
