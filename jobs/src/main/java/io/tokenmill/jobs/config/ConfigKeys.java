package io.tokenmill.jobs.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every config key the job reads, with its default: the single source of the README's key table (a test
 * checks they agree) and of "unknown key" errors. Keys under {@code spark.conf.} are free-form Spark
 * settings passed to the session builder.
 */
public final class ConfigKeys {

  public static final String SPARK_CONF_PREFIX = "spark.conf.";

  public static final List<ConfigKey> ALL = List.of(
      key("input.path", null, "prompt file or directory (local path or any Hadoop URI); or use input.table"),
      key("input.format", "auto", "auto (from the extension), parquet, jsonl (json), csv"),
      key("input.table", null, "a Spark table name instead of input.path (Spark runner only)"),
      key("input.id_column", "id", "row key; without it ids are a hash of the row's content"),
      key("input.prompt_column", "prompt", "user prompt text"),
      key("input.messages_column", "messages", "chat messages: array<struct<role,content>> or a JSON string"),
      key("input.system_column", "system", "optional system message"),
      key("input.reference_column", "reference", "optional expected answer (fills `correct`)"),
      key("input.limit", 0, "read only the first N rows (0 = all)"),
      key("output.path", null, "output directory: rows/ (Parquet) and run_summary.json"),
      key("output.mode", "resume", "resume (skip ids already committed; refused when settings that determine row content differ), overwrite, fail_if_exists"),
      key("output.lock_timeout_s", 120, "a run's lock on output.path (OUTPUT/_lock) whose heartbeat is older than this is taken over"),
      key("output.keep_columns", "all", "input columns each output row carries ahead of the output columns: all, none, or a list [a, b]"),
      key("output.prompt_text", true, "fill the prompt_text column with the rendered prompt"),
      key("output.report", true, "write OUTPUT/report.html: charts of tokens, accuracy and throughput, and the summary"),
      key("output.report_group_by", "task", "output column whose values report.html's accuracy chart groups by (when the output has it)"),
      key("model.path", null, "Hugging Face model directory (readable by the driver and every executor)"),
      key("model.name", null, "value of the `model` column (default: the directory's name)"),
      key("model.reasoning_format", "auto", "auto (from the chat template), deepseek_r1, qwen3, none"),
      key("generation.max_new_tokens", 512, "output token limit per sample (reasoning + answer)"),
      key("generation.temperature", 0.0, "0 = greedy"),
      key("generation.top_p", 1.0, "nucleus sampling"),
      key("generation.top_k", 0, "0 = off"),
      key("generation.min_p", 0.0, "0 = off"),
      key("generation.repetition_penalty", 1.0, "1 = off"),
      key("generation.presence_penalty", 0.0, "0 = off"),
      key("generation.frequency_penalty", 0.0, "0 = off"),
      key("generation.n", 1, "samples per prompt (the prompt is prefilled once)"),
      key("generation.seed", 0, "sampling seed; each sample draws from (seed, id, sample)"),
      key("generation.stop", List.of(), "stop strings"),
      key("generation.stop_token_ids", List.of(), "token ids that end a sample like EOS (e.g. [151643]); per row: column stop_token_ids"),
      key("generation.min_tokens", 0, "output tokens before EOS or a stop token id can end a sample (0 = off; stop strings still apply)"),
      key("generation.logprobs", false, "fill the logprobs / token_ids columns: each output token's log-probability (raw model logits)"),
      key("generation.top_logprobs", 0, "with logprobs: the N (<= 20) most likely tokens per position in top_logprobs (0 = none)"),
      key("generation.enable_thinking", true, "Qwen3's enable_thinking switch"),
      key("generation.thinking_budget", null, "max reasoning tokens before </think> is forced (0 = answer at once, null = unlimited)"),
      key("generation.answer_budget", null, "max answer tokens after a forced </think> (null = max_new_tokens)"),
      key("generation.transition_text", null, "text injected before a forced </think> (null = built-in sentence)"),
      key("engine.device", "auto", "auto (Spark's GPU, else GPU 0 if any, else CPU), cpu, cpu-f16 (fp16 weight copies for batch 1-4 steps, docs/PERFORMANCE.md), cpu-bf16 (bf16 weights, bf16 GEMM: batch jobs on AVX-512 BF16 CPUs), gpu, gpu:N"),
      key("engine.max_batch", 32, "sequences decoded together per engine"),
      key("engine.max_seq_len", 0, "context limit (0 = the model's max_position_embeddings)"),
      key("engine.kv_memory_bytes", "0", "KV cache bytes (e.g. 2g); 0 = kv_memory_fraction of free memory"),
      key("engine.kv_memory_fraction", 0.5, "share of free device memory (GPU) / MemAvailable (CPU) for KV"),
      key("engine.block_size", 16, "KV block size in tokens"),
      key("engine.max_tokens_per_step", 0, "tokens per forward call; long prompts prefill in chunks (0 = auto)"),
      key("engine.queue_capacity", 0, "requests waiting per engine before submit blocks (0 = 4 x max_batch)"),
      key("engine.max_in_flight_per_task", 0, "requests one task keeps submitted (0 = 2 x max_batch)"),
      key("job.base_dir", null, "directory that relative input/output/model paths resolve against (default: the working directory)"),
      key("job.runner", "spark", "spark (any cluster; local[*] when no master is set) or local (Arrow, no Spark)"),
      key("job.name", "tokenmill", "Spark application name"),
      key("job.waves", "auto", "commit units; a killed run loses at most one wave (auto = by job.wave_rows)"),
      key("job.wave_rows", 10000, "prompts per wave when job.waves is auto"),
      key("job.wave_retries", 2, "times a wave whose staged rows fail the exactly-once check is generated again"),
      key("job.partitions", "auto", "Spark partitions per wave (auto = default parallelism)"),
      key("job.gpu_hour_usd", 2.5, "price of one device-hour, for the cost per million output tokens"),
      key("job.progress", true, "live progress line on stderr"),
      key("job.progress_interval_s", 1.0, "seconds between progress updates"),
      key("job.examples", 2, "output rows printed after the summary with reasoning, answer and reference (a wrong one first if any); 0 = none"),
      key("spark.master", "local[*]", "master when spark-submit/the environment sets none"),
      key("eval.extractor", "auto", "answer extractor: auto, boxed, last_number, choice, json, regex:<pattern>, none"),
      key("eval.verifier", "auto", "compares extracted vs reference: auto, exact, numeric, choice, seating"),
      key("test.fault.fail_partition", -1, "TESTS ONLY: partition whose first attempt fails"),
      key("test.fault.fail_after_rows", 0, "TESTS ONLY: rows emitted before the injected failure"),
      key("test.fault.staging", "", "TESTS ONLY: lose:W or duplicate:W damages wave W's first staged attempt"),
      key("test.fault.pause_at", null, "TESTS ONLY: the driver prints '[tokenmill test] paused at POINT' and sleeps at "
          + "POINT: wave_running:N, before_commit:N, after_commit:N (waves from 1) or summary"),
      key("test.fault.pause_s", 600.0, "TESTS ONLY: how long test.fault.pause_at sleeps"),
      key("test.fault.disk_full_at_wave", 0, "TESTS ONLY: writing wave N (from 1) fails with 'No space left on device' (0 = off)"),
      key("test.stop_after_waves", 0, "TESTS ONLY: stop the driver after committing this many waves (0 = off)"));

  public static final Map<String, ConfigKey> BY_NAME = index();

  private ConfigKeys() {}

  private static ConfigKey key(String name, Object def, String description) {
    return new ConfigKey(name, def, description);
  }

  private static Map<String, ConfigKey> index() {
    Map<String, ConfigKey> m = new LinkedHashMap<>();
    for (ConfigKey k : ALL) m.put(k.name(), k);
    return m;
  }
}
