package io.tokenmill.reasoner.tasks.seating;

import java.util.ArrayList;
import java.util.List;

/**
 * The worked reasoning for a seating puzzle (what {@code Seating} trains on): a visible depth-first search,
 * a pure function of the puzzle. After the prompt restated line by line (layout, guests' initials,
 * numbered conditions in short form), every attempt line re-checks the numbered conditions in order,
 * each written out in full with the seats of its guests, so that each token is a copy or a look-up on
 * the same line:
 *
 * <pre>
 * row 4
 * guests C H I K
 * 1 I &lt;H
 * 2 K ~H
 * 3 I !H
 * 4 C ~K
 * |CHIK C1: 1I_&lt;H_. 2K_~H_. 3I_!H_. 4C1~K_. ok
 * C1|.HIK H2: 1I_&lt;H2-
 * C1|.HIK I2: 1I2&lt;H_+ 2K_~H_. 3I2!H_. 4C1~K_-
 * C1|.HIK K2: 1I_&lt;H_. 2K2~H_. 3I_!H_. 4C1~K2+ ok
 * ...
 * Seating: Ivy, Carol, Kim, Hugo
 * </pre>
 *
 * The state is who sits where ({@code C1}), {@code |}, the guest list with the seated dotted out (the
 * next candidate is the next undotted initial after the one just tried); then the guest tried with its
 * seat, and condition k as {@code k}, its first guest and seat ({@code _}: not seated), its relation,
 * its second guest (or {@code end}, {@code mid}, {@code @s}) and seat, and the verdict: {@code +} holds
 * whatever comes, {@code .} not decided yet, {@code -} cannot hold any more, which ends the line. The
 * condition comes from restated line k (a copy), a seat from the state on the same line (a look-up), the
 * verdict from the two seats, the relation and the seat being filled. No rule asks which conditions name a
 * guest: the step that the per-guest tables of {@link SearchTrace} (and a scan variant of it) taught and
 * small models learnt slowest, 33-36% of those lines right teacher-forced after 1,600-2,100 steps
 * (docs/MODELS.md). The search is the same depth-first search over seats,
 * guests in the prompt's order, the first guest in chair 1 at a table; it only prunes on a {@code -}, so
 * it may try more seatings than {@link SearchTrace}, whose "needed neighbour" rule is a table look-up.
 */
public final class CheckAllTrace {

  private final Puzzle puzzle;
  private final int n;
  private final List<String> initials = new ArrayList<>();
  private final List<String> lines = new ArrayList<>();
  private List<Integer> solution;

  private CheckAllTrace(Puzzle puzzle) {
    this.puzzle = puzzle;
    this.n = puzzle.size();
    for (String g : puzzle.guests()) initials.add(g.substring(0, 1));
  }

  /** The reasoning text (without the think tags); its last line is the answer line. */
  public static String of(Puzzle puzzle) {
    return String.join("\n", new CheckAllTrace(puzzle).run());
  }

  private List<String> run() {
    lines.add((puzzle.table() ? "table " : "row ") + n);
    lines.addAll(SearchTrace.restatement(puzzle, initials));
    if (!search(new ArrayList<>())) throw new IllegalStateException("seating puzzle has no solution: " + puzzle.prompt());
    List<String> names = new ArrayList<>();
    for (int g : solution) names.add(puzzle.guests().get(g));
    lines.add("Seating: " + String.join(", ", names));
    return lines;
  }

  private boolean search(List<Integer> seated) {
    if (seated.size() == n) {
      solution = List.copyOf(seated);
      return true;
    }
    int seat = seated.size() + 1;
    for (int g = 0; g < n; g++) {
      if (seated.contains(g)) continue;
      if (puzzle.table() && seat == 1 && g > 0) break; // at a table the first guest takes chair 1
      seated.add(g);
      boolean ok = attempt(seated);
      if (ok && search(seated)) return true;
      seated.remove(seated.size() - 1);
      if (ok) lines.add(state(seated) + " undo " + initials.get(g));
    }
    return false;
  }

  /** Writes the attempt line for the last guest of {@code seated}; true when no condition broke. */
  private boolean attempt(List<Integer> seated) {
    List<Integer> before = seated.subList(0, seated.size() - 1);
    int g = seated.get(seated.size() - 1);
    StringBuilder line = new StringBuilder(state(before)).append(' ').append(initials.get(g)).append(seated.size()).append(':');
    for (int k = 0; k < puzzle.rules().size(); k++) {
      Rule r = puzzle.rules().get(k);
      char verdict = verdict(r, seated);
      line.append(' ').append(k + 1).append(item(r, seated)).append(verdict);
      if (verdict == '-') {
        lines.add(line.toString());
        return false;
      }
    }
    lines.add(line.append(" ok").toString());
    return true;
  }

  /** Condition {@code r} with its guests' seats: {@code I2<H_}, {@code C1~K2}, {@code E3mid}, {@code A_@2}. */
  private String item(Rule r, List<Integer> seated) {
    String a = r.a().substring(0, 1) + seatText(r.a(), seated);
    return a + switch (r.kind()) {
      case ADJACENT -> "~" + r.b().substring(0, 1) + seatText(r.b(), seated);
      case NOT_ADJACENT -> "!" + r.b().substring(0, 1) + seatText(r.b(), seated);
      case LEFT_OF -> "<" + r.b().substring(0, 1) + seatText(r.b(), seated);
      case AT_END -> "end";
      case NOT_AT_END -> "mid";
      case SEAT -> "@" + r.seat();
    };
  }

  private String seatText(String guest, List<Integer> seated) {
    int s = seatOf(guest, seated);
    return s == 0 ? "_" : Integer.toString(s);
  }

  private int seatOf(String guest, List<Integer> seated) {
    return seated.indexOf(puzzle.guests().indexOf(guest)) + 1; // 0: not seated
  }

  /**
   * {@code +} when the condition holds however the rest is seated, {@code -} when it can no longer hold
   * (seats are filled in order, so an unseated guest will sit after every seated one), else {@code .}.
   */
  private char verdict(Rule r, List<Integer> seated) {
    int last = seated.size(); // the seat just filled; every seat up to it is taken
    int sa = seatOf(r.a(), seated);
    int sb = r.b() == null ? 0 : seatOf(r.b(), seated);
    return switch (r.kind()) {
      case AT_END -> sa == 0 ? '.' : sa == 1 || sa == n ? '+' : '-';
      case NOT_AT_END -> sa == 0 ? '.' : sa != 1 && sa != n ? '+' : '-';
      case SEAT -> sa == 0 ? (r.seat() <= last ? '-' : '.') : sa == r.seat() ? '+' : '-'; // its seat taken by another
      case LEFT_OF -> sa != 0 && sb != 0 ? (sa < sb ? '+' : '-') : sa != 0 ? '+' : sb != 0 ? '-' : '.';
      case ADJACENT -> {
        if (sa != 0 && sb != 0) yield Rule.neighbours(sa, sb, n, puzzle.table()) ? '+' : '-';
        int s = sa != 0 ? sa : sb;
        // The other guest can still sit next to s only in seat last+1 (or, at a table, in the last chair beside chair 1).
        yield s == 0 || s == last || (puzzle.table() && s == 1) ? '.' : '-';
      }
      case NOT_ADJACENT -> sa != 0 && sb != 0 ? (Rule.neighbours(sa, sb, n, puzzle.table()) ? '-' : '+') : '.';
    };
  }

  /** Seated guests with their seats ({@code C1 K2}), {@code |}, the guest initials with the seated dotted out. */
  private String state(List<Integer> seated) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < seated.size(); i++) s.append(i == 0 ? "" : " ").append(initials.get(seated.get(i))).append(i + 1);
    s.append('|');
    for (int g = 0; g < n; g++) s.append(seated.contains(g) ? "." : initials.get(g));
    return s.toString();
  }
}
