package io.tokenmill.jobs.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.OutputLayout;
import io.tokenmill.jobs.run.OutputStore;
import io.tokenmill.jobs.run.RunSummary;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code OUTPUT/report.html} of a run, the same for both runners: the summary's numbers as a table (every
 * field of run_summary.json), and charts of the committed rows (tokens per row for correct vs wrong rows,
 * accuracy by the grouping column, accuracy vs thinking budget when the output has a {@code thinking_budget}
 * column) and of this run's generation phase (throughput over time). A chart without data is replaced by a
 * line saying why.
 */
public final class RunReport {

  /** Rows the token chart keeps at most (about; a hash sample of (id, sample)). */
  public static final int SAMPLE_ROWS = 20_000;

  private RunReport() {}

  /** Reads the committed rows for the report (through Spark or Arrow). */
  @FunctionalInterface
  public interface RowsSource {
    ReportRows read() throws IOException;
  }

  /**
   * Writes the report when {@code output.report} is on. A failure (unreadable rows, no usable AWT) is
   * reported through {@code say} and never fails the run, which is committed and summarised by then.
   */
  public static void write(OutputStore store, RunSummary summary, JobSettings s, RowsSource rows,
      List<ThroughputTimeline.Point> timeline, Consumer<String> say) {
    if (!s.config().bool("output.report")) return;
    try {
      store.writeText(OutputLayout.REPORT, html(summary.toJson(), rows.read(), timeline));
    } catch (IOException | RuntimeException | LinkageError e) { // LinkageError: AWT unusable on this JVM
      say.accept("could not write " + OutputLayout.REPORT + ": " + e);
    }
  }

  /** output.report_group_by. */
  public static String groupBy(JobSettings s) {
    return s.config().string("output.report_group_by");
  }

  public static String html(JsonObject summary, ReportRows rows, List<ThroughputTimeline.Point> timeline)
      throws IOException {
    String runId = summary.has("run_id") ? summary.get("run_id").getAsString() : "?";
    String model = summary.has("model") ? summary.get("model").getAsString() : "?";
    HtmlReport r = new HtmlReport("Tokenmill run " + runId, "model " + model + " | output "
        + text(summary, "output") + " | started " + text(summary, "started_at"));

    String sampled = rows.tokenRows().size() < rows.rowsWithoutError()
        ? String.format("a hash sample of %,d of the %,d rows without an error", rows.tokenRows().size(),
            rows.rowsWithoutError())
        : String.format("all %,d rows without an error", rows.rowsWithoutError());
    if (rows.tokenRows().isEmpty()) r.note("Tokens per row", "No rows without an error in the output.");
    else r.chart("Tokens per row", "Reasoning and answer tokens per row, " + sampled + " in the output (resumed runs"
        + " included). Boxes: quartiles and median; whiskers: 1.5 × IQR; circles: outliers.", ReportCharts.tokensByOutcome(rows.tokenRows()));

    if (rows.groupColumn() == null) {
      r.note("Accuracy by group", "The output has no grouping column (output.report_group_by names one, e.g. task).");
    } else if (rows.byGroup().isEmpty()) {
      r.note("Accuracy by " + rows.groupColumn(), "No rows with a reference.");
    } else {
      r.chart("Accuracy by " + rows.groupColumn(), "Share of rows with a reference whose answer was correct, per "
          + rows.groupColumn() + " (rows in brackets).", ReportCharts.accuracyByGroup(rows.groupColumn(), rows.byGroup()));
    }

    if (!rows.byBudget().isEmpty()) {
      r.chart("Accuracy vs thinking budget", "Rows with a reference, by their thinking_budget column.",
          ReportCharts.accuracyVsBudget(Map.of("rows by thinking_budget", rows.byBudget())));
    }

    if (timeline.size() < 2 || timeline.get(timeline.size() - 1).tokens() == 0) {
      r.note("Throughput", "Nothing was generated in this run (all rows were already in the output).");
    } else {
      r.chart("Throughput", "Output tokens per second of this run's generation phase (engine load included), as"
          + " the live progress line counted them.", ReportCharts.throughput(timeline, 5));
    }

    List<String[]> numbers = new ArrayList<>();
    JsonObject withoutConfig = summary.deepCopy();
    JsonElement config = withoutConfig.remove("config");
    flatten("", withoutConfig, numbers);
    r.table("Summary (run_summary.json)", numbers);
    if (config != null) {
      List<String[]> settings = new ArrayList<>();
      flatten("", config, settings);
      r.table("Configuration", settings);
    }
    return r.html();
  }

  /** JSON as dotted keys and plain values: {@code rows.by_finish_reason.stop = 12}, {@code engines[0].device}. */
  static void flatten(String prefix, JsonElement e, List<String[]> out) {
    if (e.isJsonObject()) {
      for (var m : e.getAsJsonObject().entrySet()) {
        flatten(prefix.isEmpty() ? m.getKey() : prefix + "." + m.getKey(), m.getValue(), out);
      }
    } else if (e.isJsonArray()) {
      JsonArray a = e.getAsJsonArray();
      if (a.isEmpty()) out.add(new String[] {prefix, "[]"});
      for (int i = 0; i < a.size(); i++) flatten(prefix + "[" + i + "]", a.get(i), out);
    } else {
      out.add(new String[] {prefix, e.isJsonNull() ? "null" : e.getAsString()});
    }
  }

  private static String text(JsonObject o, String key) {
    return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : "?";
  }
}
