package io.tokenmill.jobs.run;

import io.tokenmill.udfs.rows.ResultRow;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A few output rows printed after the summary so a run shows what the model actually wrote: its reasoning
 * and answer next to the reference. A wrong answer comes first when the run has one (the row a user wants
 * to read), then the longest reasoning, then right or unscored ones; error rows only fill slots no other
 * candidate can.
 */
public final class ExampleRows {

  /** Reasoning lines shown per example (the rest is summarised as a count). */
  static final int MAX_LINES = 16;
  static final int MAX_LINE_CHARS = 160;

  private ExampleRows() {}

  /**
   * Up to {@code k} examples from candidate rows: the first wrong one, then the longest reasoning (the
   * row {@link RunTotals} found), then the first others without an error, then error rows. Callers pass
   * bounded candidate lists (Spark: a {@code limit} per kind).
   */
  public static List<ResultRow> pick(List<ResultRow> wrong, List<ResultRow> longest, List<ResultRow> others, int k) {
    Set<ResultRow> out = new LinkedHashSet<>();
    if (k <= 0) return List.of();
    if (!wrong.isEmpty()) out.add(wrong.get(0));
    for (ResultRow r : longest) if (out.size() < k) out.add(r);
    for (ResultRow r : others) if (out.size() < k && r.error() == null) out.add(r);
    for (ResultRow r : others) if (out.size() < k) out.add(r);
    return new ArrayList<>(out);
  }

  /** {@link #pick} over rows already in memory (the Arrow runner streams its output instead and keeps only candidates). */
  public static List<ResultRow> pick(List<ResultRow> rows, RunTotals totals, int k) {
    List<ResultRow> wrong = rows.stream().filter(r -> Boolean.FALSE.equals(r.correct())).limit(1).toList();
    List<ResultRow> longest = rows.stream().filter(r -> isLongest(r, totals)).limit(1).toList();
    return pick(wrong, longest, rows.stream().limit(Math.max(16, 4L * k)).toList(), k);
  }

  static boolean isLongest(ResultRow r, RunTotals totals) {
    return r.id().equals(totals.longestId) && r.sample() == totals.longestSample;
  }

  public static void print(PrintStream out, List<ResultRow> examples) {
    for (ResultRow r : examples) {
      String verdict = r.error() != null ? "error: " + r.error()
          : r.correct() == null ? "no reference" : r.correct() ? "correct" : "WRONG";
      out.printf("example %s (sample %d): %s; finish %s; %d reasoning + %d answer tokens%n", r.id(), r.sample(),
          verdict, r.finishReason(), r.reasoningTokens(), r.answerTokens());
      if (r.promptText() != null) out.println("  prompt:    " + clip(r.promptText().strip().replace("\n", "\\n")));
      if (r.reasoning() != null) {
        out.println("  <think>");
        String[] lines = r.reasoning().strip().split("\n", -1);
        for (int i = 0; i < Math.min(lines.length, MAX_LINES); i++) out.println("    " + clip(lines[i]));
        if (lines.length > MAX_LINES) out.printf("    ... %d more lines%n", lines.length - MAX_LINES);
        out.println("  </think>");
      }
      if (r.answer() != null) out.println("  answer:    " + clip(r.answer().strip().replace("\n", " / ")));
      if (r.reference() != null) {
        out.println("  reference: " + clip(r.reference()) + (r.extracted() != null ? "   (extracted: " + clip(r.extracted()) + ")" : ""));
      }
    }
  }

  private static String clip(String s) {
    return s.length() <= MAX_LINE_CHARS ? s : s.substring(0, MAX_LINE_CHARS) + " ...";
  }
}
