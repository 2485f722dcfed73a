package io.tokenmill.jobs.run;

import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.udfs.eval.AnswerScorer;
import io.tokenmill.udfs.exec.EngineSettings;
import io.tokenmill.udfs.exec.FaultInjection;
import io.tokenmill.udfs.exec.GenerationSettings;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.InputSpec;
import io.tokenmill.udfs.rows.KeptColumns;
import java.net.URI;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A {@link JobConfig} checked and turned into typed settings on the driver, before any data or model work:
 * every bad key fails here, naming it. Local relative paths become absolute, because executors run in
 * other working directories.
 */
public record JobSettings(
    JobConfig config,
    String runner,
    String inputPath,
    String inputFormat,
    String inputTable,
    int inputLimit,
    InputSpec inputSpec,
    String outputPath,
    OutputMode outputMode,
    String modelPath,
    RunContext context,
    int waves,
    int waveRows,
    int partitions,
    double gpuHourUsd,
    boolean progress,
    double progressIntervalSeconds,
    String sparkMaster,
    FaultInjection fault,
    int stopAfterWaves) {

  /** What to do with an existing output directory. */
  public enum OutputMode {
    RESUME, OVERWRITE, FAIL_IF_EXISTS;

    static OutputMode parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("output.mode must be resume, overwrite or fail_if_exists, got '" + s + "'");
      }
    }
  }

  public static JobSettings from(JobConfig c) {
    String runner = c.string("job.runner").trim().toLowerCase(Locale.ROOT);
    if (!runner.equals("spark") && !runner.equals("local")) {
      throw new IllegalArgumentException("job.runner must be spark or local, got '" + runner + "'");
    }
    String base = c.string("job.base_dir");
    String inputTable = c.string("input.table");
    String inputPath = inputTable == null ? absolute(base, c.required("input.path")) : null;
    if (inputTable != null && c.isSet("input.path")) {
      throw new IllegalArgumentException("set input.path or input.table, not both");
    }
    if (inputTable != null && runner.equals("local")) {
      throw new IllegalArgumentException("input.table needs the Spark runner (job.runner=spark)");
    }
    String format = inputTable == null ? inputFormat(c.string("input.format"), inputPath) : "table";
    int limit = c.integer("input.limit");
    if (limit < 0) throw new IllegalArgumentException("input.limit must be >= 0");
    InputSpec spec = inputSpec(c);
    KeptColumns.Setting.parse(c.raw("output.keep_columns")); // a bad list fails here, before any data is read
    String modelPath = absolute(base, c.required("model.path"));
    RunContext ctx = runContext(c, modelPath);

    double progressInterval = c.number("job.progress_interval_s");
    if (!(progressInterval > 0)) throw new IllegalArgumentException("job.progress_interval_s must be > 0");
    int waveRows = c.integer("job.wave_rows");
    if (waveRows < 1) throw new IllegalArgumentException("job.wave_rows must be >= 1");
    if (c.integer("job.wave_retries") < 0) {
      throw new IllegalArgumentException("job.wave_retries must be >= 0, got " + c.integer("job.wave_retries"));
    }
    if (!(c.number("output.lock_timeout_s") > 0)) throw new IllegalArgumentException("output.lock_timeout_s must be > 0");
    if (c.integer("job.examples") < 0) throw new IllegalArgumentException("job.examples must be >= 0");
    double usd = c.number("job.gpu_hour_usd");
    if (!(usd >= 0)) throw new IllegalArgumentException("job.gpu_hour_usd must be >= 0");
    return new JobSettings(c, runner, inputPath, format, inputTable, limit, spec,
        absolute(base, c.required("output.path")), OutputMode.parse(c.string("output.mode")), modelPath, ctx,
        c.autoOrPositive("job.waves"), waveRows, c.autoOrPositive("job.partitions"), usd, c.bool("job.progress"),
        progressInterval, c.string("spark.master"),
        new FaultInjection(c.integer("test.fault.fail_partition"), c.integer("test.fault.fail_after_rows"),
            c.string("test.fault.staging")),
        c.integer("test.stop_after_waves"));
  }

  /** The input.*_column keys. */
  public static InputSpec inputSpec(JobConfig c) {
    return new InputSpec(c.string("input.id_column"), c.string("input.prompt_column"),
        c.string("input.messages_column"), c.string("input.system_column"), c.string("input.reference_column"));
  }

  /**
   * What executors need (model, engine, generation, eval, output.prompt_text, a new run id) from the model.*,
   * engine.*, generation.* and eval.* keys; shared by the job and the DataFrame API.
   */
  public static RunContext runContext(JobConfig c, String modelPath) {
    String modelName = c.string("model.name");
    if (modelName == null) modelName = Path.of(modelPath).getFileName().toString();

    EngineSettings engine = new EngineSettings(c.integer("engine.max_batch"), c.integer("engine.max_seq_len"),
        c.bytes("engine.kv_memory_bytes"), c.number("engine.kv_memory_fraction"), c.integer("engine.block_size"),
        c.integer("engine.max_tokens_per_step"), c.integer("engine.queue_capacity"),
        c.integer("engine.max_in_flight_per_task"));
    GenerationSettings generation = new GenerationSettings(c.integer("generation.max_new_tokens"),
        c.number("generation.temperature"), c.number("generation.top_p"), c.integer("generation.top_k"),
        c.number("generation.min_p"), c.number("generation.repetition_penalty"),
        c.number("generation.presence_penalty"), c.number("generation.frequency_penalty"), c.integer("generation.n"),
        c.longValue("generation.seed"), c.strings("generation.stop"), c.bool("generation.enable_thinking"),
        c.optionalInteger("generation.thinking_budget"), c.optionalInteger("generation.answer_budget"),
        c.string("generation.transition_text"), tokenIds(c, "generation.stop_token_ids"),
        c.integer("generation.min_tokens"), c.bool("generation.logprobs"), c.integer("generation.top_logprobs"));
    AnswerScorer scorer = AnswerScorer.of(c.string("eval.extractor"), c.string("eval.verifier"));
    String device = c.string("engine.device");
    return new RunContext(modelPath, modelName, device, c.string("model.reasoning_format"), engine,
        generation, scorer, c.bool("output.prompt_text"), newRunId(), Map.of());
  }

  /** output.keep_columns, parsed (all, none or a list of column names). */
  public KeptColumns.Setting keepColumns() {
    return KeptColumns.Setting.parse(config.raw("output.keep_columns"));
  }

  /** job.examples: output rows the console shows after the summary. */
  public int examples() {
    return config.integer("job.examples"); // checked >= 0 in from()
  }

  /** job.wave_retries: how often a wave that fails its exactly-once check is generated again. */
  public int waveRetries() {
    return config.integer("job.wave_retries"); // checked >= 0 in from()
  }

  /** output.lock_timeout_s: a run lock whose heartbeat is older than this is taken over. */
  public double lockTimeoutSeconds() {
    return config.number("output.lock_timeout_s"); // checked > 0 in from()
  }

  /** TESTS ONLY: where the driver pauses so a test can kill it (test.fault.pause_at). */
  public TestPause testPause() {
    return TestPause.of(config);
  }

  /** Waves for {@code pendingPrompts}: job.waves, or enough that each holds at most job.wave_rows. */
  public int wavesFor(long pendingPrompts) {
    if (waves > 0) return waves;
    long w = (pendingPrompts + waveRows - 1) / waveRows;
    return (int) Math.max(1, Math.min(io.tokenmill.udfs.rows.PromptRow.BUCKETS, w)); // a wave is a set of id buckets
  }

  /** A list of token ids ({@code [151643, 198]}); the message names the key. */
  static List<Integer> tokenIds(JobConfig c, String key) {
    Object v = c.raw(key);
    if (v == null) return List.of();
    try {
      return io.tokenmill.udfs.rows.InputNormalizer.tokenIds(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " " + e.getMessage());
    }
  }

  static String inputFormat(String format, String path) {
    String f = format == null ? "auto" : format.trim().toLowerCase(Locale.ROOT);
    if (f.equals("json")) f = "jsonl";
    if (!f.equals("auto")) {
      if (!f.equals("parquet") && !f.equals("jsonl") && !f.equals("csv")) {
        throw new IllegalArgumentException("input.format must be auto, parquet, jsonl (json) or csv, got '" + format + "'");
      }
      return f;
    }
    String known = io.tokenmill.udfs.input.InputFiles.formatOf(path);
    if (known != null) return known;
    throw new IllegalArgumentException("input.format is auto but '" + path + "' has no known extension "
        + "(.parquet, .jsonl/.json, .csv, optionally .gz); set input.format");
  }

  /** Local relative paths → absolute (against {@code base}, else the working directory); URIs stay as given. */
  public static String absolute(String base, String path) {
    try {
      URI u = URI.create(path);
      if (u.getScheme() != null && u.getScheme().length() > 1) return path;
    } catch (IllegalArgumentException ignored) {
      // not a URI: a local path
    }
    Path p = Path.of(path);
    if (!p.isAbsolute() && base != null) p = Path.of(base).resolve(p);
    return p.toAbsolutePath().normalize().toString();
  }

  /**
   * A new run id: UTC start time to the millisecond, then 4 random hex digits, e.g.
   * {@code 20261130T180042450Z-f1db}. Ids sort by start time ({@code runs/} lists runs in order); with
   * whole seconds, two short runs started in the same second sorted by their random part.
   */
  static String newRunId() {
    String t = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'"));
    byte[] r = new byte[2];
    ThreadLocalRandom.current().nextBytes(r);
    return t + "-" + HexFormat.of().formatHex(r);
  }

  public String runId() {
    return context.runId();
  }
}
