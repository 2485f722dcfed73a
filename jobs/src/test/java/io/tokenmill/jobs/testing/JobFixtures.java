package io.tokenmill.jobs.testing;

import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.tokenizer.ChatFormat;
import io.tokenmill.engine.weights.DType;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.udfs.rows.OutputSchema;
import io.tokenmill.udfs.rows.ResultRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Models, prompt files and row comparisons shared by the job tests. */
public final class JobFixtures {

  private JobFixtures() {}

  /** A small random Qwen3-architecture model with a real tokenizer and chat template (cached per path). */
  public static synchronized Path model(Path dir) {
    if (Files.isRegularFile(dir.resolve("model.safetensors"))) return dir;
    try {
      ModelMaker.make(Path.of("../conf/models/qwen3-0.6b"), dir, new ModelMaker.Options(11, DType.F32,
          Map.of("num_hidden_layers", "2", "vocab_size", "320", "hidden_size", "64", "intermediate_size", "128",
              "num_attention_heads", "4", "num_key_value_heads", "2", "head_dim", "16",
              "max_position_embeddings", "256"),
          ChatFormat.QWEN3, Long.MAX_VALUE, true));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** Writes JSON Lines. */
  public static Path jsonl(Path file, List<String> lines) {
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, lines);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** {@code count} good prompts with ids p000.., references and varying per-row max_new_tokens. */
  public static List<String> prompts(int count) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      lines.add(String.format("{\"id\": \"p%03d\", \"prompt\": \"What is %d + %d?\", \"reference\": \"%d\", "
          + "\"max_new_tokens\": %d}", i, i, 2 * i, 3 * i, 4 + (i * 7) % 13));
    }
    return lines;
  }

  /** Settings for a run over {@code input} into {@code output} with small generation limits. */
  public static JobSettings settings(Path model, Path input, Path output, Map<String, Object> more) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model.path", model.toString());
    m.put("input.path", input.toString());
    m.put("output.path", output.toString());
    m.put("generation.max_new_tokens", 12);
    m.put("engine.max_batch", 8);
    m.put("engine.kv_memory_bytes", "16m");
    m.put("job.progress", false);
    m.put("spark.master", "local[2,3]");
    m.put("spark.conf.spark.ui.enabled", "false");
    m.put("spark.conf.spark.sql.shuffle.partitions", "4");
    m.putAll(more);
    return JobSettings.from(JobConfig.of(m));
  }

  /**
   * Rows keyed by "id#sample" (plus the error, if any), with provenance/timing columns blanked so runs can be
   * compared. Throws if a key occurs twice.
   */
  public static Map<String, List<Object>> content(List<ResultRow> rows) {
    Map<String, List<Object>> m = new java.util.TreeMap<>();
    for (ResultRow r : rows) {
      Object[] v = r.values();
      for (String c : OutputSchema.PROVENANCE) v[OutputSchema.indexOf(c)] = null;
      String key = r.id() + "#" + r.sample() + (r.error() == null ? "" : " error: " + r.error());
      List<Object> prev = m.put(key, java.util.Arrays.asList(v));
      if (prev != null) throw new AssertionError("key " + key + " appears twice");
    }
    return m;
  }

  /** Every row committed under {@code out}/rows (read through the Arrow runner's reader). */
  public static List<ResultRow> rows(Path out) throws IOException {
    try (org.apache.arrow.memory.RootAllocator a = new org.apache.arrow.memory.RootAllocator()) {
      return io.tokenmill.jobs.local.ArrowParquet.readAll(out.resolve("rows"), a);
    }
  }

  public static void deleteTree(Path p) {
    if (!Files.exists(p)) return;
    try (var s = Files.walk(p)) {
      for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.delete(q);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the active Spark session, if any: getOrCreate would otherwise hand the next class its master. */
  public static void stopActiveSpark() {
    org.apache.spark.sql.SparkSession.getActiveSession().foreach(s -> {
      s.stop();
      return null;
    });
  }
}
