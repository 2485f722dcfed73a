package io.tokenmill.jobs.report;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What report.html needs from the committed rows, gathered in one pass and mergeable (Spark partitions each
 * build one, the driver merges them; the Arrow runner fills one): accuracy per value of the grouping column
 * and per thinking budget (exact, over every row with a reference), and token counts of a sample of the
 * rows without an error for the token chart. The sample is chosen by a hash of (id, sample), so it does not
 * depend on partitioning or row order and the same output gives the same report.
 */
public final class ReportRows implements Serializable {

  /** Whether a row's answer was right, wrong, or could not be judged (no reference). */
  public enum Outcome { CORRECT, WRONG, NO_REFERENCE }

  /** Token counts of one sampled row. */
  public record TokenRow(int reasoningTokens, int answerTokens, Outcome outcome) implements Serializable {}

  /** Rows with a reference and how many of them were correct. */
  public record Accuracy(long withReference, long correct) implements Serializable {
    public double value() {
      return withReference == 0 ? Double.NaN : (double) correct / withReference;
    }

    Accuracy plus(Accuracy o) {
      return new Accuracy(withReference + o.withReference, correct + o.correct);
    }
  }

  private final String groupColumn;
  private final long sampleThreshold; // keep a row when its 32-bit hash is below this (2^32 = every row)
  private final Map<String, Accuracy> byGroup = new TreeMap<>();
  private final Map<Long, Accuracy> byBudget = new TreeMap<>();
  private final List<TokenRow> tokenRows = new ArrayList<>();
  private long rowsWithoutError;

  /**
   * @param groupColumn the column the accuracy chart groups by, or null when the output has none
   * @param expectedRows rows the output holds (sets the sampling rate)
   * @param sampleRows about how many rows the token chart keeps
   */
  public ReportRows(String groupColumn, long expectedRows, int sampleRows) {
    this.groupColumn = groupColumn;
    double rate = expectedRows <= sampleRows ? 1.0 : (double) sampleRows / expectedRows;
    this.sampleThreshold = (long) Math.ceil(rate * (1L << 32));
  }

  /**
   * One committed row. {@code group} is the grouping column's value (null when absent), {@code budget} the
   * row's thinking budget when the output has such a column (null otherwise).
   */
  public void add(String id, int sample, int reasoningTokens, int answerTokens, Boolean correct, boolean hasReference,
      String error, String group, Long budget) {
    if (error != null) return;
    rowsWithoutError++;
    Outcome outcome = !hasReference || correct == null ? Outcome.NO_REFERENCE
        : correct ? Outcome.CORRECT : Outcome.WRONG;
    if (outcome != Outcome.NO_REFERENCE) {
      Accuracy one = new Accuracy(1, outcome == Outcome.CORRECT ? 1 : 0);
      if (groupColumn != null) byGroup.merge(group == null ? "(null)" : group, one, Accuracy::plus);
      if (budget != null) byBudget.merge(budget, one, Accuracy::plus);
    }
    if (sampled(id, sample)) tokenRows.add(new TokenRow(reasoningTokens, answerTokens, outcome));
  }

  public ReportRows merge(ReportRows o) {
    o.byGroup.forEach((k, v) -> byGroup.merge(k, v, Accuracy::plus));
    o.byBudget.forEach((k, v) -> byBudget.merge(k, v, Accuracy::plus));
    tokenRows.addAll(o.tokenRows);
    rowsWithoutError += o.rowsWithoutError;
    return this;
  }

  /** The same figures without the grouping (the column turned out not to exist). */
  public ReportRows withoutGroup() {
    ReportRows r = new ReportRows(null, sampleThreshold);
    r.byBudget.putAll(byBudget);
    r.tokenRows.addAll(tokenRows);
    r.rowsWithoutError = rowsWithoutError;
    return r;
  }

  private ReportRows(String groupColumn, long sampleThreshold) {
    this.groupColumn = groupColumn;
    this.sampleThreshold = sampleThreshold;
  }

  private boolean sampled(String id, int sample) {
    if (sampleThreshold >= (1L << 32)) return true;
    // FNV-1a over the key: cheap, stable across JVMs (String.hashCode would do too, but is weak in low bits)
    long h = 0xcbf29ce484222325L;
    for (byte b : (id + "\u0000" + sample).getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return ((h ^ (h >>> 32)) & 0xffffffffL) < sampleThreshold;
  }

  public String groupColumn() { return groupColumn; }
  public Map<String, Accuracy> byGroup() { return byGroup; }
  public Map<Long, Accuracy> byBudget() { return byBudget; }
  public List<TokenRow> tokenRows() { return tokenRows; }
  public long rowsWithoutError() { return rowsWithoutError; }
}
