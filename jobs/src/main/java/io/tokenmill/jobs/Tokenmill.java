package io.tokenmill.jobs;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.spark.DataFrameGenerate;
import io.tokenmill.udfs.rows.KeptColumns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The DataFrame API, for notebooks and Spark applications: a DataFrame of prompts in, the same DataFrame's
 * columns plus the job's output columns out, in one call.
 *
 * <pre>{@code
 * Dataset<Row> answers = Tokenmill.generate(prompts, Map.of(
 *     "model.path", "data-samples/models/tiny-reasoner", "generation.max_new_tokens", "256"));
 * // or: prompts.transform(Tokenmill.generator(options))
 * }</pre>
 *
 * <p>Options are the job's config keys (README "Configuration"), values written as for {@code --set} (YAML:
 * {@code "[a, b]"} is a list): {@code model.*}, {@code generation.*}, {@code engine.*}, {@code eval.*}, the
 * {@code input.*_column} names, {@code output.keep_columns}, {@code output.prompt_text}, {@code job.partitions}
 * (repartition to N first; default: the DataFrame's own partitions) and {@code job.base_dir}. An unknown key
 * fails as in the job, with the closest key suggested; a key that only means something to the job's own input,
 * output or run loop ({@code input.path}, {@code output.mode}, {@code job.waves}, {@code spark.*}, ...) fails
 * naming it. The config, the model directory, the DataFrame's columns (their types, {@code
 * output.keep_columns}, clashes with output column names) are all checked here, before anything runs.
 *
 * <p><b>Lazy, generated once.</b> The result is a transformation, like any DataFrame's: generation runs on the
 * executors when an action needs its rows. It is persisted ({@code MEMORY_AND_DISK}), so {@code count()} then
 * {@code write()} generate each partition once, the second action reading what the first stored; a partition
 * Spark loses (an executor gone) is generated again, with the same content (sampling is deterministic per id and
 * sample; only {@code ttft_ms}, {@code latency_ms}, {@code device}, {@code attempt} differ). Call {@code
 * unpersist()} to free it. For an output that survives the session, that is resumable and written exactly once
 * per key, run the job ({@link GenerateJob}).
 *
 * <p><b>Rows.</b> Each input row gives {@code generation.n} rows (one per sample, in no particular order), led
 * by the kept input columns with their names and types, followed by the columns of the job's Parquet output
 * ({@code id, sample, prompt_text, reasoning, answer, ...}; README "Output"). A bad row is an output row with
 * {@code error} set and {@code finish_reason = error}, as in the job. Unlike the job, which keys its output by
 * (id, sample) and generates only the first of several rows sharing an id, every input row is generated: rows
 * with the same id and prompt get the same text. Rows are those the job writes for the same ids and settings.
 */
public final class Tokenmill {

  /** Keys of the job's own input, output and run loop: nothing to do with a DataFrame in and out. */
  private static final List<String> JOB_ONLY = List.of("input.path", "input.format", "input.table", "input.limit",
      "output.path", "output.mode", "output.lock_timeout_s", "job.runner", "job.name", "job.waves", "job.wave_rows",
      "job.wave_retries", "job.gpu_hour_usd", "job.progress", "job.progress_interval_s", "job.examples",
      "spark.master");

  private Tokenmill() {}

  /**
   * {@code prompts}' columns (as {@code output.keep_columns} keeps them) and the output columns, one row per
   * input row and sample; see the class comment.
   *
   * @throws IllegalArgumentException naming the key, column or file: an unknown or job-only key, a bad value, a
   *     missing prompt/messages column or a column of the wrong type, a kept column named like an output
   *     column, a bad model directory
   */
  public static Dataset<Row> generate(Dataset<Row> prompts, Map<String, String> options) {
    List<String> sets = new ArrayList<>();
    options.forEach((k, v) -> sets.add(k + "=" + v));
    JobConfig c = JobConfig.load(null, sets);
    for (String k : options.keySet()) {
      if (JOB_ONLY.contains(k) || k.startsWith("spark.") || k.startsWith("test.")) {
        throw new IllegalArgumentException("option " + k + " is a setting of the job's own input, output or run, "
            + "not of Tokenmill.generate (the DataFrame is the input and the result; Spark settings belong to its "
            + "session)");
      }
    }
    String modelPath = JobSettings.absolute(c.string("job.base_dir"), c.required("model.path"));
    ModelDir.validate(Path.of(modelPath));
    return DataFrameGenerate.plan(prompts, JobSettings.inputSpec(c),
        KeptColumns.Setting.parse(c.raw("output.keep_columns")), JobSettings.runContext(c, modelPath),
        c.autoOrPositive("job.partitions"));
  }

  /** {@link #generate} as a function, for {@code prompts.transform(Tokenmill.generator(options))}. */
  public static scala.Function1<Dataset<Row>, Dataset<Row>> generator(Map<String, String> options) {
    return df -> generate(df, options);
  }
}
