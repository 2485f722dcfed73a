package io.tokenmill.jobs.run;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.tokenmill.udfs.exec.EngineReport;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The closing numbers of a run: what the console table prints and {@code run_summary.json} holds (same
 * numbers). Rows/tokens/accuracy cover the whole output directory (earlier resumed runs included);
 * throughput, cost and engine figures cover this run.
 */
public final class RunSummary {
  private final JobSettings settings;
  private final RunTotals totals;
  private final long inputPrompts;
  private final long resumedPrompts;
  private final int waves;
  private final int wavesCommitted;
  private final double wallSeconds;
  private final List<EngineReport> engines;
  private final Instant started;
  private final String master;
  private final boolean stoppedEarly;
  private List<io.tokenmill.udfs.rows.ResultRow> examples = List.of();
  private long duplicateRows;
  private int wavesRetried;
  private double generationSeconds = Double.NaN;

  public RunSummary(JobSettings settings, RunTotals totals, long inputPrompts, long resumedPrompts, int waves,
      int wavesCommitted, double wallSeconds, Collection<EngineReport> reports, Instant started, String master,
      boolean stoppedEarly) {
    this.settings = settings;
    this.totals = totals;
    this.inputPrompts = inputPrompts;
    this.resumedPrompts = resumedPrompts;
    this.waves = waves;
    this.wavesCommitted = wavesCommitted;
    this.wallSeconds = wallSeconds;
    this.engines = latestPerEngine(reports);
    this.started = started;
    this.master = master;
    this.stoppedEarly = stoppedEarly;
  }

  /**
   * Integrity figures of this run: input rows not generated because an earlier row has their id (listed in
   * {@link OutputLayout#DUPLICATES}), and wave attempts thrown away by the exactly-once check.
   */
  public RunSummary withIntegrity(long duplicateRows, int wavesRetried) {
    this.duplicateRows = duplicateRows;
    this.wavesRetried = wavesRetried;
    return this;
  }

  /**
   * Seconds of the generation phase: from the start of the first wave (engine load included) to the last
   * commit. Throughput and cost are computed over it; start-up, reading, planning and the summary are not.
   */
  public RunSummary withGenerationSeconds(double seconds) {
    this.generationSeconds = seconds;
    return this;
  }

  /** The generation phase's seconds (the whole wall time when a runner did not measure it). */
  public double generationSeconds() {
    return Double.isNaN(generationSeconds) ? wallSeconds : generationSeconds;
  }

  public long duplicateRows() { return duplicateRows; }
  public int wavesRetried() { return wavesRetried; }

  /**
   * Accuracy per value of a grouping column ({@code output.report_group_by}, e.g. {@code task}), from the
   * rows the report reads; shown under the overall accuracy when there are two groups or more.
   */
  public RunSummary withGroupAccuracy(String column, Map<String, io.tokenmill.jobs.report.ReportRows.Accuracy> byGroup) {
    this.groupColumn = column;
    this.groupAccuracy = byGroup == null ? Map.of() : new java.util.TreeMap<>(byGroup);
    return this;
  }

  private String groupColumn;
  private Map<String, io.tokenmill.jobs.report.ReportRows.Accuracy> groupAccuracy = Map.of();

  private boolean showsGroups() {
    return groupColumn != null && groupAccuracy.values().stream().filter(a -> a.withReference() > 0).count() >= 2;
  }

  /** Output rows printed after the table (job.examples); not part of run_summary.json. */
  public RunSummary withExamples(List<io.tokenmill.udfs.rows.ResultRow> rows) {
    this.examples = List.copyOf(rows);
    return this;
  }

  public List<io.tokenmill.udfs.rows.ResultRow> examples() {
    return examples;
  }

  /** Reports arrive per task; keep each engine's latest (most steps). */
  static List<EngineReport> latestPerEngine(Collection<EngineReport> reports) {
    Map<String, EngineReport> m = new LinkedHashMap<>();
    for (EngineReport r : reports) {
      m.merge(r.engineKey(), r, (a, b) -> b.steps() >= a.steps() ? b : a);
    }
    return List.copyOf(m.values());
  }

  public RunTotals totals() { return totals; }
  public List<EngineReport> engines() { return engines; }
  public double wallSeconds() { return wallSeconds; }

  /** Output tokens per second of the generation phase (this run's tokens). */
  public double outputTokensPerSecond() {
    double g = generationSeconds();
    return g > 0 ? totals.runOutputTokens() / g : 0;
  }

  /** Output tokens per second of the whole run, start-up and summary included. */
  public double endToEndOutputTokensPerSecond() {
    return wallSeconds > 0 ? totals.runOutputTokens() / wallSeconds : 0;
  }

  /** Devices that generated in this run (at least one). */
  public int devices() {
    return Math.max(1, totals.runTokensByDevice.size());
  }

  /** Engine occupancy (running sequences / max batch per step), averaged over engines weighted by steps. */
  public double meanOccupancy() {
    double w = 0;
    double s = 0;
    for (EngineReport e : engines) {
      s += e.meanOccupancy() * e.steps();
      w += e.steps();
    }
    return w > 0 ? s / w : Double.NaN;
  }

  public double usdPerMillionOutputTokens() {
    long tokens = totals.runOutputTokens();
    if (tokens == 0) return Double.NaN;
    double deviceHours = devices() * generationSeconds() / 3600.0;
    return settings.gpuHourUsd() * deviceHours / (tokens / 1e6);
  }

  /** Model loads per JVM (executor), which should each be 1. */
  public Map<String, Integer> loadsPerJvm() {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (EngineReport e : engines) m.merge(e.host() + "/" + e.pid() + " (executor " + e.executorId() + ")", e.modelLoads(), Math::max);
    return m;
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("run_id", settings.runId());
    o.addProperty("started_at", started.toString());
    o.addProperty("runner", settings.runner());
    if (master != null) o.addProperty("master", master);
    o.addProperty("model", settings.context().modelName());
    o.addProperty("model_path", settings.modelPath());
    o.addProperty("input", settings.inputPath() != null ? settings.inputPath() : settings.inputTable());
    o.addProperty("output", settings.outputPath());
    o.addProperty("stopped_early", stoppedEarly);
    JsonObject rows = new JsonObject();
    rows.addProperty("input_prompts", inputPrompts);
    rows.addProperty("resumed_prompts", resumedPrompts);
    rows.addProperty("in_output", totals.rows);
    rows.addProperty("written_this_run", totals.runRows);
    rows.addProperty("ok", totals.rows - totals.failed);
    rows.addProperty("failed", totals.failed);
    rows.add("by_finish_reason", map(totals.byFinishReason));
    rows.add("errors_by_kind", map(totals.errorsByKind));
    rows.addProperty("duplicate_ids_not_generated", duplicateRows);
    o.add("rows", rows);
    JsonObject tokens = new JsonObject();
    tokens.addProperty("prompt", totals.promptTokens);
    tokens.addProperty("reasoning", totals.reasoningTokens);
    tokens.addProperty("answer", totals.answerTokens);
    tokens.addProperty("transition", totals.transitionTokens);
    tokens.addProperty("output_this_run", totals.runOutputTokens());
    o.add("tokens", tokens);
    o.addProperty("wall_seconds", round(wallSeconds));
    o.addProperty("generation_seconds", round(generationSeconds()));
    o.addProperty("output_tokens_per_s", round(outputTokensPerSecond()));
    o.addProperty("output_tokens_per_s_end_to_end", round(endToEndOutputTokensPerSecond()));
    JsonObject perDevice = new JsonObject();
    totals.runTokensByDevice.forEach((d, t) -> perDevice.addProperty(d,
        round(generationSeconds() > 0 ? t / generationSeconds() : 0)));
    o.add("output_tokens_per_s_per_device", perDevice);
    o.addProperty("mean_batch_occupancy", round(meanOccupancy()));
    JsonArray loads = new JsonArray();
    long prefill = 0, decode = 0, cached = 0, preempt = 0, steps = 0;
    for (EngineReport e : engines) {
      JsonObject l = new JsonObject();
      l.addProperty("executor", e.executorId());
      l.addProperty("host", e.host());
      l.addProperty("pid", e.pid());
      l.addProperty("device", e.device());
      l.addProperty("model_loads", e.modelLoads());
      l.addProperty("load_ms", e.loadMillis());
      l.addProperty("steps", e.steps());
      l.addProperty("mean_batch_occupancy", round(e.meanOccupancy()));
      loads.add(l);
      prefill += e.prefillTokens();
      decode += e.decodeTokens();
      cached += e.cachedPrefixTokens();
      preempt += e.preemptions();
      steps += e.steps();
    }
    o.add("engines", loads);
    JsonObject eng = new JsonObject();
    eng.addProperty("steps", steps);
    eng.addProperty("prefill_tokens", prefill);
    eng.addProperty("decode_tokens", decode);
    eng.addProperty("prefix_tokens_reused", cached);
    eng.addProperty("preemptions", preempt);
    o.add("engine_totals", eng);
    o.addProperty("model_load_ms", engines.stream().mapToLong(EngineReport::loadMillis).max().orElse(0));
    JsonObject cost = new JsonObject();
    cost.addProperty("device_hour_usd", settings.gpuHourUsd());
    cost.addProperty("devices", devices());
    cost.addProperty("device_hours", round(devices() * generationSeconds() / 3600.0));
    cost.addProperty("usd_per_million_output_tokens", round(usdPerMillionOutputTokens()));
    o.add("cost", cost);
    if (totals.withReference > 0) {
      JsonObject acc = new JsonObject();
      acc.addProperty("rows_with_reference", totals.withReference);
      acc.addProperty("correct", totals.correct);
      acc.addProperty("accuracy", round(totals.accuracy()));
      if (showsGroups()) {
        JsonObject groups = new JsonObject();
        groupAccuracy.forEach((g, a) -> {
          if (a.withReference() == 0) return;
          JsonObject one = new JsonObject();
          one.addProperty("rows_with_reference", a.withReference());
          one.addProperty("correct", a.correct());
          one.addProperty("accuracy", round(a.value()));
          groups.add(g, one);
        });
        acc.add("by_" + groupColumn, groups);
      }
      o.add("accuracy", acc);
    }
    JsonObject waveInfo = new JsonObject();
    waveInfo.addProperty("planned", waves);
    waveInfo.addProperty("committed_this_run", wavesCommitted);
    waveInfo.addProperty("regenerated_after_failed_check", wavesRetried);
    o.add("waves", waveInfo);
    JsonObject cfg = new JsonObject();
    settings.config().effective().forEach((k, v) -> cfg.addProperty(k, v == null ? null : String.valueOf(v)));
    o.add("config", cfg);
    return o;
  }

  public String toJsonString() {
    return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues()
        .create().toJson(toJson());
  }

  /** The closing table. */
  public void print(PrintStream out) {
    String line = "-".repeat(64);
    out.println(line);
    out.printf("Tokenmill run %s  (%s runner%s)%s%n", settings.runId(), settings.runner(),
        master == null ? "" : ", " + master, stoppedEarly ? "  STOPPED EARLY" : "");
    out.println(line);
    row(out, "model", settings.context().modelName() + "  (" + settings.modelPath() + ")");
    row(out, "output", settings.outputPath());
    row(out, "prompts", String.format("%,d in input, %,d already done (resumed), waves %d/%d this run",
        inputPrompts, resumedPrompts, wavesCommitted, waves));
    row(out, "rows", String.format("%,d in output: %,d ok, %,d failed (%,d written this run)",
        totals.rows, totals.rows - totals.failed, totals.failed, totals.runRows));
    row(out, "finish reasons", totals.byFinishReason.toString());
    totals.errorsByKind.forEach((k, v) -> row(out, "  failed", String.format("%,d × %s", v, k)));
    if (duplicateRows > 0) {
      row(out, "duplicate ids", String.format("%,d input row(s) repeat an earlier row's id, not generated (%s)",
          duplicateRows, OutputLayout.DUPLICATES));
    }
    if (wavesRetried > 0) {
      row(out, "waves redone", String.format("%d wave attempt(s) failed the exactly-once check and were regenerated",
          wavesRetried));
    }
    row(out, "tokens", String.format("prompt %,d | reasoning %,d | answer %,d", totals.promptTokens,
        totals.reasoningTokens, totals.answerTokens) + (totals.transitionTokens == 0 ? ""
        : String.format(" | forced by the thinking budget %,d", totals.transitionTokens)));
    row(out, "wall time", String.format("%.1f s end to end, of which generation %.1f s", wallSeconds,
        generationSeconds()));
    row(out, "output tok/s", String.format("%,.1f over generation, %,.1f end to end (%,d tokens this run)",
        outputTokensPerSecond(), endToEndOutputTokensPerSecond(), totals.runOutputTokens()));
    totals.runTokensByDevice.forEach((d, t) -> row(out, "  per device", String.format("%s: %,.1f tok/s", d,
        generationSeconds() > 0 ? t / generationSeconds() : 0)));
    row(out, "batch occupancy", Double.isNaN(meanOccupancy()) ? "n/a" : String.format("%.2f (mean over engine steps)", meanOccupancy()));
    row(out, "model loads", loadsPerJvm().toString());
    row(out, "model load", String.format("%,d ms (slowest engine)",
        engines.stream().mapToLong(EngineReport::loadMillis).max().orElse(0)));
    row(out, "cost", Double.isNaN(usdPerMillionOutputTokens()) ? "n/a" : String.format(
        "$%.2f per million output tokens (%d device(s) × $%.2f/h over generation)", usdPerMillionOutputTokens(), devices(),
        settings.gpuHourUsd()));
    if (totals.withReference > 0) {
      row(out, "accuracy", String.format("%.1f%% (%,d / %,d rows with a reference)", 100 * totals.accuracy(),
          totals.correct, totals.withReference));
      if (showsGroups()) {
        groupAccuracy.forEach((g, a) -> {
          if (a.withReference() > 0) {
            row(out, "  " + groupColumn + " " + g, String.format("%.1f%% (%,d / %,d)", 100 * a.value(), a.correct(),
                a.withReference()));
          }
        });
      }
    }
    out.println(line);
    if (!examples.isEmpty()) {
      ExampleRows.print(out, examples);
      out.println(line);
    }
  }

  private static void row(PrintStream out, String k, String v) {
    out.printf("%-16s %s%n", k, v);
  }

  private static JsonObject map(Map<String, Long> m) {
    JsonObject o = new JsonObject();
    m.forEach(o::addProperty);
    return o;
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : v;
  }
}
