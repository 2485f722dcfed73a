package io.tokenmill.jobs.run;

import io.tokenmill.udfs.rows.ResultRow;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sums over result rows, mergeable so Spark partitions can each build one and the driver combines them
 * (the Arrow runner uses the same class over its rows): counts by finish reason and by error kind, token
 * sums, accuracy where references exist, and this run's output tokens per device.
 */
public final class RunTotals implements Serializable {
  public long rows;
  public long failed;
  public long promptTokens;
  public long reasoningTokens;
  public long answerTokens;
  /** Tokens a thinking budget forced (transition text, {@code </think>}, blank line): in neither sum above. */
  public long transitionTokens;
  public long withReference;
  public long correct;
  public long latencyMsSum;
  public final Map<String, Long> byFinishReason = new TreeMap<>();
  public final Map<String, Long> errorsByKind = new TreeMap<>();
  /** Output tokens of rows written by the current run (run_id), per device. */
  public final Map<String, Long> runTokensByDevice = new TreeMap<>();
  public long runRows;
  /** The row (id, sample) with the most reasoning tokens among rows without an error: an example worth showing. */
  public String longestId;
  public int longestSample;
  public int longestReasoningTokens = -1;

  public void add(ResultRow r, String currentRunId) {
    rows++;
    byFinishReason.merge(r.finishReason(), 1L, Long::sum);
    if (r.error() != null) {
      failed++;
      errorsByKind.merge(errorKind(r.error()), 1L, Long::sum);
    }
    promptTokens += r.promptTokens();
    reasoningTokens += r.reasoningTokens();
    answerTokens += r.answerTokens();
    transitionTokens += r.transitionTokens();
    latencyMsSum += r.latencyMs();
    if (r.reference() != null && r.error() == null) {
      withReference++;
      if (Boolean.TRUE.equals(r.correct())) correct++;
    }
    if (r.error() == null) keepLongest(r.id(), r.sample(), r.reasoningTokens());
    if (currentRunId.equals(r.runId())) {
      runRows++;
      runTokensByDevice.merge(r.device(), (long) r.outputTokens(), Long::sum);
    }
  }

  public RunTotals merge(RunTotals o) {
    rows += o.rows;
    failed += o.failed;
    promptTokens += o.promptTokens;
    reasoningTokens += o.reasoningTokens;
    answerTokens += o.answerTokens;
    transitionTokens += o.transitionTokens;
    withReference += o.withReference;
    correct += o.correct;
    latencyMsSum += o.latencyMsSum;
    runRows += o.runRows;
    if (o.longestId != null) keepLongest(o.longestId, o.longestSample, o.longestReasoningTokens);
    o.byFinishReason.forEach((k, v) -> byFinishReason.merge(k, v, Long::sum));
    o.errorsByKind.forEach((k, v) -> errorsByKind.merge(k, v, Long::sum));
    o.runTokensByDevice.forEach((k, v) -> runTokensByDevice.merge(k, v, Long::sum));
    return this;
  }

  /** Most reasoning tokens wins; ties go to the smaller (id, sample) so the choice does not depend on row order. */
  private void keepLongest(String id, int sample, int tokens) {
    boolean better = tokens > longestReasoningTokens || (tokens == longestReasoningTokens
        && (id.compareTo(longestId) < 0 || (id.equals(longestId) && sample < longestSample)));
    if (better) {
      longestId = id;
      longestSample = sample;
      longestReasoningTokens = tokens;
    }
  }

  public long runOutputTokens() {
    return runTokensByDevice.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Accuracy over rows with a reference, or NaN when none has one. */
  public double accuracy() {
    return withReference == 0 ? Double.NaN : (double) correct / withReference;
  }

  /**
   * An error message reduced to its kind: quoted values and numbers replaced, so "duplicate id 'a7': input
   * row 12 ..." and "duplicate id 'b3': input row 40 ..." count together.
   */
  static String errorKind(String error) {
    String k = error.replaceAll("'[^']*'", "'…'").replaceAll("\\d+", "N");
    int cut = k.indexOf(';');
    if (cut > 0) k = k.substring(0, cut);
    return k.length() > 90 ? k.substring(0, 89) + "…" : k;
  }
}
