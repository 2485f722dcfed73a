package io.tokenmill.reasoner.tasks.seating;

import java.util.ArrayList;
import java.util.List;

/**
 * The first seating trace, with a per-guest rule table; no longer what {@code Seating} trains on
 * ({@link CheckAllTrace} is), but its {@link #searchLength} still bounds the puzzle draw, so the same
 * puzzles are drawn as when it was (the held-out file stays valid). The worked reasoning for a seating
 * puzzle: a visible depth-first search, a pure function of the puzzle. Guests are written by their initials (the names have distinct initials). First the layout, the
 * guests' initials in the prompt's order, and each numbered condition restated in short form next to its
 * number (a line-by-line translation of the prompt, so reading it needs no search over the prompt); then,
 * per guest, the rules that mention them in that order (copied from the short forms just written); then
 * one short line per attempt to seat a guest, seat by seat, guests tried in the prompt's (alphabetical)
 * order:
 *
 * <pre>
 * row 4
 * guests C H I K
 * 1 I &lt;H
 * 2 K ~H
 * 3 I !H
 * 4 C ~K
 * C ~K
 * H &gt;I ~K !I
 * I &lt;H !H
 * K ~H ~C
 * |CHIK C1 ~K. ok
 * C|.HIK H2 &gt;I-
 * C|.HIK I2 &lt;H+ !H. ok
 * CI|.H.K H3 &gt;I+ ~K. !I-
 * CI|.H.K K3 ~H. ~C-
 * C|.HIK undo I
 * ...
 * Seating: Ivy, Carol, Kim, Hugo
 * </pre>
 *
 * An attempt line restates the state it needs: who sits so far in seat order, {@code |}, the guest list
 * with the seated ones dotted out (so the next candidate is the next undotted initial after the one just
 * tried, a local lookup), the guest tried and its seat, then that guest's rules copied from its table
 * line, each followed by its verdict once its inputs are on the line: {@code +} holds, {@code .} not
 * decidable yet (the other guest is not seated), {@code -} broken, which ends the line. A line whose
 * rules all pass ends {@code ok} and the search goes one seat deeper; when no candidate is left the
 * next line undoes the last seated guest ({@code undo I}) and the search tries the guest after it.
 *
 * <p>Rules are decided from the seated guests only: {@code ~Y} (next to Y) holds when Y sits in the
 * previous seat (or, at a table's last chair, in the first), breaks when Y sits elsewhere; {@code !Y}
 * the reverse; {@code <Y} (left of Y) breaks when Y is already seated, else holds; {@code >Y} holds when Y
 * is seated, else breaks; {@code end}, {@code mid} and {@code @s} compare the seat number with the row's
 * ends or with s. At a round table the first guest is fixed in chair 1 (any seating can be rotated so).
 */
public final class SearchTrace {

  private final Puzzle puzzle;
  private final List<String> initials = new ArrayList<>();
  private final List<List<String>> items = new ArrayList<>();
  private final List<String> lines = new ArrayList<>();
  private final int n;

  private SearchTrace(Puzzle puzzle) {
    this.puzzle = puzzle;
    this.n = puzzle.size();
    for (String g : puzzle.guests()) {
      String initial = g.substring(0, 1);
      if (initials.contains(initial)) throw new IllegalArgumentException("two guests with initial " + initial + ": " + puzzle.guests());
      initials.add(initial);
      items.add(itemsOf(g));
    }
  }

  /** The reasoning text (without the think tags); its last line is the answer line. */
  public static String of(Puzzle puzzle) {
    return String.join("\n", new SearchTrace(puzzle).run());
  }

  /** The answer line: {@code Seating: } and the seating the search ends on. */
  public static String answer(Puzzle puzzle) {
    List<String> lines = new SearchTrace(puzzle).run();
    return lines.get(lines.size() - 1);
  }

  /** Characters of the lines that restate the prompt (guests and numbered conditions), newlines included. */
  private int restatedChars;

  /**
   * The trace's length without the lines restating the prompt: the search's own length, which
   * {@code Seating.MAX_TRACE_CHARS} bounds (so adding the restated lines changed no puzzle drawn).
   */
  public static int searchLength(Puzzle puzzle) {
    SearchTrace t = new SearchTrace(puzzle);
    return String.join("\n", t.run()).length() - t.restatedChars;
  }

  private List<String> run() {
    lines.add((puzzle.table() ? "table " : "row ") + n);
    List<String> restated = restatement(puzzle, initials);
    for (String line : restated) restatedChars += line.length() + 1;
    lines.addAll(restated);
    for (int g = 0; g < n; g++) {
      lines.add(items.get(g).isEmpty() ? initials.get(g) : initials.get(g) + " " + String.join(" ", items.get(g)));
    }
    if (!search(new ArrayList<>())) throw new IllegalStateException("seating puzzle has no solution: " + puzzle.prompt());
    List<String> names = new ArrayList<>();
    for (int g : seatedIndices) names.add(puzzle.guests().get(g));
    lines.add("Seating: " + String.join(", ", names));
    return lines;
  }

  private List<Integer> seatedIndices;

  /** Depth-first over seats; {@code seated} holds guest indices in seat order. True once all are seated. */
  private boolean search(List<Integer> seated) {
    if (seated.size() == n) {
      seatedIndices = List.copyOf(seated);
      return true;
    }
    int seat = seated.size() + 1;
    int need = needed(seated);
    for (int g = 0; g < n; g++) {
      if (seated.contains(g)) continue;
      if (puzzle.table() && seat == 1 && g > 0) break; // at a table the first guest takes chair 1
      if (need >= 0 && g != need) continue;
      if (attempt(seated, g, seat)) {
        seated.add(g);
        if (search(seated)) return true;
        seated.remove(seated.size() - 1);
        lines.add(state(seated) + " undo " + initials.get(g));
      }
    }
    return false;
  }

  /**
   * The guest the next seat must take, or -1: the last seated guest's first {@code ~} partner not yet
   * seated (its other neighbour is taken, so the partner can only sit next). Not for a table's chair 1,
   * whose guest also neighbours the last chair.
   */
  private int needed(List<Integer> seated) {
    if (seated.isEmpty() || (puzzle.table() && seated.size() == 1)) return -1;
    int last = seated.get(seated.size() - 1);
    for (String item : items.get(last)) {
      if (item.charAt(0) != '~') continue;
      int other = initials.indexOf(item.substring(1));
      if (!seated.contains(other)) return other;
    }
    return -1;
  }

  /** Writes the attempt line for guest {@code g} in {@code seat}; true when no rule broke. */
  private boolean attempt(List<Integer> seated, int g, int seat) {
    StringBuilder line = new StringBuilder(state(seated)).append(' ').append(initials.get(g)).append(seat);
    boolean pendingNext = false;
    for (String item : items.get(g)) {
      char verdict = verdict(item, seated, seat);
      if (item.charAt(0) == '~' && verdict == '.') {
        // Only the next seat is free beside this guest (both chairs 2 and n are, for a table's chair 1).
        if (pendingNext && !(puzzle.table() && seat == 1)) verdict = '-';
        pendingNext = true;
      }
      line.append(' ').append(item).append(verdict);
      if (verdict == '-') {
        lines.add(line.toString());
        return false;
      }
    }
    lines.add(line.append(" ok").toString());
    return true;
  }

  private char verdict(String item, List<Integer> seated, int seat) {
    switch (item) {
      case "end":
        return seat == 1 || seat == n ? '+' : '-';
      case "mid":
        return seat != 1 && seat != n ? '+' : '-';
      default:
        break;
    }
    if (item.charAt(0) == '@') return Integer.parseInt(item.substring(1)) == seat ? '+' : '-';
    int other = initials.indexOf(item.substring(1));
    boolean isSeated = seated.contains(other);
    boolean neighbour = isSeated && (seated.get(seated.size() - 1) == other
        || (puzzle.table() && seat == n && seated.get(0) == other));
    return switch (item.charAt(0)) {
      case '~' -> !isSeated ? '.' : neighbour ? '+' : '-';
      case '!' -> !isSeated ? '.' : neighbour ? '-' : '+';
      case '<' -> isSeated ? '-' : '+';
      case '>' -> isSeated ? '+' : '-';
      default -> throw new IllegalStateException(item);
    };
  }

  /**
   * Seated initials in seat order, {@code |}, the guest initials with the seated ones dotted out, and
   * {@code ~Y} when the last seated guest still needs Y beside it (then Y is the only candidate).
   */
  private String state(List<Integer> seated) {
    StringBuilder s = new StringBuilder();
    for (int g : seated) s.append(initials.get(g));
    s.append('|');
    for (int g = 0; g < n; g++) s.append(seated.contains(g) ? "." : initials.get(g));
    int need = needed(seated);
    if (need >= 0) s.append(" ~").append(initials.get(need));
    return s.toString();
  }

  /**
   * The prompt restated line by line after the layout line, as both traces write it: the guests'
   * initials in the prompt's order, then each numbered condition in short form next to its number.
   */
  static List<String> restatement(Puzzle puzzle, List<String> initials) {
    List<String> restated = new ArrayList<>();
    restated.add("guests " + String.join(" ", initials));
    for (int i = 0; i < puzzle.rules().size(); i++) restated.add((i + 1) + " " + shortForm(puzzle.rules().get(i)));
    return restated;
  }

  /** A condition in short form, from its first guest's side: {@code I <H}, {@code K ~H}, {@code E mid}, {@code A @2}. */
  private static String shortForm(Rule r) {
    String a = r.a().substring(0, 1);
    String other = r.b() == null ? null : r.b().substring(0, 1);
    return a + " " + switch (r.kind()) {
      case ADJACENT -> "~" + other;
      case NOT_ADJACENT -> "!" + other;
      case LEFT_OF -> "<" + other;
      case AT_END -> "end";
      case NOT_AT_END -> "mid";
      case SEAT -> "@" + r.seat();
    };
  }

  /** The rules mentioning {@code guest}, in prompt order, as that guest's check items. */
  private List<String> itemsOf(String guest) {
    List<String> out = new ArrayList<>();
    for (Rule r : puzzle.rules()) {
      boolean isA = r.a().equals(guest);
      boolean isB = guest.equals(r.b());
      if (!isA && !isB) continue;
      String other = isA ? (r.b() == null ? null : r.b().substring(0, 1)) : r.a().substring(0, 1);
      out.add(switch (r.kind()) {
        case ADJACENT -> "~" + other;
        case NOT_ADJACENT -> "!" + other;
        case LEFT_OF -> (isA ? "<" : ">") + other;
        case AT_END -> "end";
        case NOT_AT_END -> "mid";
        case SEAT -> "@" + r.seat();
      });
    }
    return out;
  }
}
