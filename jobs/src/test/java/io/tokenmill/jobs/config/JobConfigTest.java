package io.tokenmill.jobs.config;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.run.JobSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** YAML + --set, typed checks that name the key, and the README's key table kept in step with the code. */
class JobConfigTest {

  @TempDir Path tmp;

  Path yaml(String text) throws Exception {
    Path p = tmp.resolve("job.yaml");
    Files.writeString(p, text);
    return p;
  }

  @Test
  void setOverridesYamlAndParsesScalars() throws Exception {
    Path f = yaml("""
        input: { path: in.jsonl }
        model: { path: m }
        output: { path: out }
        generation: { n: 2, temperature: 0.7, stop: ["</answer>"] }
        spark: { conf: { spark.executor.memory: 4g } }
        """);
    JobConfig c = JobConfig.load(f.toString(), List.of("generation.n=4", "generation.thinking_budget=null",
        "engine.kv_memory_bytes=2g", "generation.stop=[a, b]"));
    assertEquals(4, c.integer("generation.n"));
    assertEquals(0.7, c.number("generation.temperature"));
    assertNull(c.optionalInteger("generation.thinking_budget"));
    assertEquals(2L << 30, c.bytes("engine.kv_memory_bytes"));
    assertEquals(List.of("a", "b"), c.strings("generation.stop"));
    assertEquals(Map.of("spark.executor.memory", "4g"), c.sparkConf());
    assertEquals("resume", c.string("output.mode"), "defaults fill what is unset");
  }

  @Test
  void unknownKeysFailWithASuggestion() throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobConfig.load(null, List.of("generation.max_new_token=5")));
    assertTrue(e.getMessage().contains("unknown config key 'generation.max_new_token'"), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean 'generation.max_new_tokens'"), e.getMessage());
    Path f = yaml("engine: { max_btach: 4 }\n");
    e = assertThrows(IllegalArgumentException.class, () -> JobConfig.load(f.toString(), List.of()));
    assertTrue(e.getMessage().contains("engine.max_btach") && e.getMessage().contains(f.toString()), e.getMessage());
  }

  @Test
  void badValuesNameTheKey() {
    Map<String, Object> base = Map.of("input.path", "x.jsonl", "model.path", "m", "output.path", "o");
    for (var bad : List.of(
        Map.entry("generation.temperature", (Object) "hot"),
        Map.entry("generation.top_p", (Object) 1.5),
        Map.entry("generation.n", (Object) 0),
        Map.entry("engine.max_batch", (Object) 0),
        Map.entry("output.mode", (Object) "append"),
        Map.entry("job.runner", (Object) "ray"),
        Map.entry("job.waves", (Object) "-1"),
        Map.entry("eval.extractor", (Object) "boxd"),
        Map.entry("generation.stop_token_ids", (Object) List.of(1, "eos")),
        Map.entry("generation.min_tokens", (Object) (-1)),
        Map.entry("generation.top_logprobs", (Object) 21))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> JobSettings.from(JobConfig.of(base).with(Map.of(bad.getKey(), bad.getValue()))), bad.toString());
      String key = bad.getKey().substring(bad.getKey().indexOf('.') + 1);
      assertTrue(e.getMessage().contains(key), bad + " → " + e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobSettings.from(JobConfig.of(Map.of("model.path", "m", "output.path", "o"))));
    assertTrue(e.getMessage().contains("input.path"), e.getMessage());
  }

  @Test
  void stopTokenIdsMinTokensAndLogprobsReachTheSamplingParams() {
    JobSettings s = JobSettings.from(JobConfig.load(null, List.of("input.path=x.jsonl", "model.path=m",
        "output.path=o", "generation.stop_token_ids=[7, 9]", "generation.min_tokens=5", "generation.logprobs=true",
        "generation.top_logprobs=2")));
    var p = s.context().generation().paramsFor(io.tokenmill.udfs.rows.PromptRow.Overrides.NONE, 100);
    assertArrayEquals(new int[] {7, 9}, p.stopTokenIds());
    assertEquals(5, p.minTokens());
    assertEquals(2, p.logprobs());
    var row = new io.tokenmill.udfs.rows.PromptRow.Overrides(null, null, null, null, null, 1, 0, List.of(3));
    p = s.context().generation().paramsFor(row, 100);
    assertArrayEquals(new int[] {3}, p.stopTokenIds(), "a row's list replaces the job's");
    assertEquals(1, p.minTokens());
    assertEquals(0, p.logprobs());
    JobSettings plain = JobSettings.from(JobConfig.of(Map.of("input.path", "x.jsonl", "model.path", "m",
        "output.path", "o")));
    assertNull(plain.context().generation().paramsFor(io.tokenmill.udfs.rows.PromptRow.Overrides.NONE, 100).logprobs());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobSettings.from(
        JobConfig.of(Map.of("input.path", "x.jsonl", "model.path", "m", "output.path", "o",
            "generation.top_logprobs", 2))));
    assertTrue(e.getMessage().contains("needs generation.logprobs: true"), e.getMessage());
  }

  @Test
  void integersBeyondTheirRangeNameTheKeyInsteadOfOverflowing() {
    for (String set : List.of("generation.max_new_tokens=10000000000", "engine.max_batch=100000000000000000000000")) {
      JobConfig c = JobConfig.load(null, List.of("input.path=x.jsonl", "model.path=m", "output.path=o", set));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobSettings.from(c));
      String key = set.substring(0, set.indexOf('='));
      assertTrue(e.getMessage().contains("config key " + key) && e.getMessage().contains("2147483647"), e.getMessage());
    }
    JobConfig seed = JobConfig.load(null, List.of("input.path=x.jsonl", "model.path=m", "output.path=o",
        "generation.seed=100000000000000000000000"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JobSettings.from(seed)).getMessage()
        .contains("generation.seed"));
    assertEquals("jsonl", JobSettings.from(JobConfig.of(Map.of("input.path", "in.jsonl.gz", "model.path", "m",
        "output.path", "o"))).inputFormat(), "auto format sees through .gz");
  }

  @Test
  void relativePathsResolveAgainstTheBaseDir() {
    JobSettings s = JobSettings.from(JobConfig.of(Map.of("input.path", "data/in.jsonl", "model.path", "m",
        "output.path", "s3a://bucket/out", "job.base_dir", "/opt/tokenmill")));
    assertEquals("/opt/tokenmill/data/in.jsonl", s.inputPath());
    assertEquals("/opt/tokenmill/m", s.modelPath());
    assertEquals("s3a://bucket/out", s.outputPath());
  }

  @Test
  void readmeDocumentsEveryKeyWithItsDefault() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    for (ConfigKey k : ConfigKeys.ALL) {
      if (k.name().startsWith("test.")) continue;
      String def = k.defaultValue() == null ? "—" : String.valueOf(k.defaultValue());
      String row = "| `" + k.name() + "` | `" + def + "` |";
      assertTrue(readme.contains(row), "README.md config table lacks the row starting " + row);
    }
  }
}
