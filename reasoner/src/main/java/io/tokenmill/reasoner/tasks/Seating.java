package io.tokenmill.reasoner.tasks;

import io.tokenmill.reasoner.tasks.seating.Puzzle;
import io.tokenmill.reasoner.tasks.seating.PuzzleGenerator;
import io.tokenmill.reasoner.tasks.seating.CheckAllTrace;
import io.tokenmill.reasoner.tasks.seating.SearchTrace;
import java.util.random.RandomGenerator;

/**
 * Seating puzzles worded as {@code data-samples/prompts/seating.jsonl}, solved by the visible search of
 * {@link CheckAllTrace}; level L = L + 2 guests (3-6). Strata: a row with one solution or a few, and from
 * four guests a round table likewise. The answer is the trace's last line ({@code Seating: ...}).
 *
 * <p>Puzzles whose search is longer than {@link #MAX_TRACE_CHARS} are drawn again (about 1 in 7 six-guest
 * rows, fewer elsewhere), so every problem fits a training row; held-out puzzles obey the same bound.
 */
public final class Seating implements Task {

  /**
   * Longest search kept, measured as the earlier table trace's search in characters, not counting the
   * lines that restate the prompt ({@link SearchTrace#searchLength}). The check-all trace written for the
   * same puzzle runs ~2.5x longer (6 guests: mean ~1,430 characters, longest ~4,400 = tokens with the
   * byte-level tokenizer), so a few of the longest 6-guest problems exceed rows of 4,096 tokens.
   */
  public static final int MAX_TRACE_CHARS = 1_300;

  @Override
  public String name() {
    return "seating";
  }

  @Override
  public int strata(int level) {
    return level == 1 ? 2 : 4;
  }

  @Override
  public String describe(int level) {
    return (level + 2) + " guests";
  }

  @Override
  public Problem generate(int level, int stratum, RandomGenerator rng) {
    boolean table = stratum >= 2;
    int target = stratum % 2 == 0 ? 1 : level == 1 ? 2 : 3;
    while (true) {
      Puzzle puzzle = PuzzleGenerator.generate(level + 2, table, target, rng);
      // The draw stays bounded by the earlier table trace's search length, so the same puzzles are drawn
      // as when that trace was written (seating-heldout.jsonl stays a valid held-out slice).
      if (SearchTrace.searchLength(puzzle) > MAX_TRACE_CHARS) continue;
      String trace = CheckAllTrace.of(puzzle);
      String answer = trace.substring(trace.lastIndexOf('\n') + 1);
      return new Problem(name(), level, puzzle.prompt(), trace, answer);
    }
  }

  /**
   * {@code layout} (row 4), {@code guests}, {@code condition} (1 I <H), {@code attempt} (a seat tried,
   * every condition checked), {@code undo}, {@code answer} (Seating: …), {@code format} (the think tag,
   * blank lines): the trace's line types ({@link CheckAllTrace}); {@code rules} is a line of
   * {@link SearchTrace}'s per-guest table, which the written trace no longer has.
   */
  @Override
  public String lineKind(String line) {
    if (line.isEmpty() || line.equals("</think>")) return "format";
    if (line.startsWith("Seating:")) return "answer";
    if (line.startsWith("row ") || line.startsWith("table ")) return "layout";
    if (line.startsWith("guests")) return "guests";
    if (Character.isDigit(line.charAt(0))) return "condition";
    if (line.contains("undo")) return "undo";
    if (line.contains("|")) return "attempt";
    return "rules";
  }

  /** The puzzle's reference JSON, read back from the prompt (what the job's {@code seating} verifier takes). */
  @Override
  public String reference(Problem p) {
    return Puzzle.fromPrompt(p.prompt()).referenceJson();
  }

  /**
   * Any valid seating is right, not only the one the search finds: the names after the last
   * {@code Seating:} (case ignored) must seat every guest once and obey every rule.
   */
  @Override
  public boolean isCorrect(Problem p, String answer) {
    if (answer == null) return false;
    int at = answer.lastIndexOf("Seating:");
    if (at < 0) return false;
    String line = answer.substring(at + "Seating:".length()).split("\\R", 2)[0];
    Puzzle puzzle = Puzzle.fromPrompt(p.prompt());
    java.util.List<String> seats = new java.util.ArrayList<>();
    for (String name : line.split(",")) {
      String trimmed = name.trim();
      seats.add(puzzle.guests().stream().filter(g -> g.equalsIgnoreCase(trimmed)).findFirst().orElse(trimmed));
    }
    return puzzle.isSolvedBy(seats);
  }
}
