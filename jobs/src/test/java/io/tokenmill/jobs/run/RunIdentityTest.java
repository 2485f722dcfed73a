package io.tokenmill.jobs.run;

import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static io.tokenmill.jobs.testing.JobFixtures.settings;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonParser;
import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.tokenizer.ChatFormat;
import io.tokenmill.engine.weights.DType;
import io.tokenmill.jobs.GenerateJob;
import io.tokenmill.jobs.testing.ChildJob;
import io.tokenmill.jobs.testing.JobFixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Run identity on both runners: a resume with a setting that changes row content is refused (exit 2) naming
 * each differing key with old → new; settings that only change how the run goes may differ; every run's summary
 * is kept under runs/; an output from before run identity is adopted with a warning.
 */
class RunIdentityTest {

  @TempDir static Path tmp;
  static Path model;
  static Path input;

  @BeforeAll
  static void setUp() {
    JobFixtures.stopActiveSpark();
    model = JobFixtures.model(tmp.resolve("model"));
    input = jsonl(tmp.resolve("in/prompts.jsonl"), prompts(6));
  }

  @AfterAll
  static void stopSpark() {
    JobFixtures.stopActiveSpark();
  }

  static Map<String, Object> run(String runner, Map<String, Object> more) {
    Map<String, Object> m = new HashMap<>(Map.of("job.runner", runner, "generation.temperature", 0.6,
        "generation.seed", 3, "input.limit", 4));
    m.putAll(more);
    return m;
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void resumeWithAnotherTemperatureIsRefusedNamingTheKey(String runner) throws Exception {
    Path out = tmp.resolve("changed-" + runner);
    GenerateJob.execute(settings(model, input, out, run(runner, Map.of())));
    assertEquals(4, rows(out).size());
    String firstSummary = Files.readString(onlyRunSummary(out));

    OutputRefusedException e = assertThrows(OutputRefusedException.class, () -> GenerateJob.execute(
        settings(model, input, out, run(runner, Map.of("generation.temperature", 0.8, "model.name", "other")))));
    assertTrue(e.getMessage().contains("generation.temperature: 0.6 → 0.8"), e.getMessage());
    assertTrue(e.getMessage().contains("model.name: model → other"), e.getMessage());
    assertFalse(e.getMessage().contains("engine."), "only the keys that differ: " + e.getMessage());
    assertEquals(4, rows(out).size(), "nothing written by the refused run");

    // Settings that do not change row content may differ: batch, waves, more input (input.limit), the master.
    RunSummary second = GenerateJob.execute(settings(model, input, out, run(runner, Map.of("engine.max_batch", 3,
        "job.waves", 2, "input.limit", 6, "generation.temperature", "0.60", "spark.master", "local[1]"))));
    assertEquals(6, rows(out).size());
    assertEquals(4, second.toJson().getAsJsonObject("rows").get("resumed_prompts").getAsLong());
    List<Path> kept = runSummaries(out);
    assertEquals(2, kept.size(), "each run's summary is kept: " + kept);
    assertEquals(firstSummary, Files.readString(kept.get(0)), "the first run's record is not overwritten");
    assertEquals(Files.readString(kept.get(1)), Files.readString(out.resolve("run_summary.json")), "latest on top");
    assertTrue(kept.get(0).getParent().getFileName().toString()
        .compareTo(kept.get(1).getParent().getFileName().toString()) < 0, "run ids sort by start time: " + kept);
    assertEquals(second.toJson().get("run_id").getAsString(), kept.get(1).getParent().getFileName().toString());
  }

  @Test
  void theJobExitsWithStatus2AndTheDifferences() throws Exception {
    Path out = tmp.resolve("exit-status");
    GenerateJob.execute(settings(model, input, out, run("local", Map.of())));
    Map<String, Object> child = new TreeMap<>(Map.of("model.path", model, "input.path", input, "output.path", out,
        "job.runner", "local", "generation.temperature", 0.8, "generation.seed", 4, "input.limit", 4,
        "generation.max_new_tokens", 12, "job.progress", false));
    try (ChildJob job = ChildJob.start(child)) {
      assertEquals(2, job.exitStatus(120), job.log());
      assertTrue(job.log().contains("generation.temperature: 0.6 → 0.8"), job.log());
      assertTrue(job.log().contains("generation.seed: 3 → 4"), job.log());
      assertFalse(job.log().contains("at io.tokenmill"), "a message, not a stack trace: " + job.log());
    }
  }

  @Test
  void overwriteReplacesTheIdentityAndAnOlderOutputIsAdoptedWithAWarning() throws Exception {
    Path out = tmp.resolve("older");
    GenerateJob.execute(settings(model, input, out, run("local", Map.of())));
    GenerateJob.execute(settings(model, input, out, run("local", Map.of("generation.temperature", 0.8,
        "output.mode", "overwrite"))));
    String recorded = Files.readString(out.resolve(RunIdentity.FILE));
    assertEquals("0.8", JsonParser.parseString(recorded).getAsJsonObject().getAsJsonObject("settings")
        .get("generation.temperature").getAsString());

    Files.delete(out.resolve(RunIdentity.FILE)); // as an output written before run identity existed
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      GenerateJob.execute(settings(model, input, out, run("local", Map.of("generation.temperature", 0.5))));
    } finally {
      System.setErr(old);
    }
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("warning: output " + out + " has rows but no "
        + RunIdentity.FILE), err.toString(StandardCharsets.UTF_8));
    var adopted = JsonParser.parseString(Files.readString(out.resolve(RunIdentity.FILE))).getAsJsonObject();
    assertTrue(adopted.get("adopted_existing_rows").getAsBoolean());
    assertThrows(OutputRefusedException.class, () -> GenerateJob.execute(settings(model, input, out,
        run("local", Map.of("generation.temperature", 0.6)))), "recorded at adoption, checked from then on");
  }

  @Test
  void differencesCompareValuesAndToleratesKeysAddedLaterAtTheirDefault() {
    SortedMap<String, String> old = new TreeMap<>(Map.of("generation.temperature", "0.6", "model.file.a.json", "x",
        "generation.removed_key", "1"));
    SortedMap<String, String> now = new TreeMap<>(Map.of("generation.temperature", RunIdentity.canonical("0.60"),
        "model.file.a.json", "x", "generation.top_k", RunIdentity.canonical(0)));
    assertEquals(List.of(), new RunIdentity(now).differencesFrom(new RunIdentity(old)));
    now.put("generation.top_k", "5");
    now.remove("model.file.a.json");
    assertEquals(List.of("generation.top_k: (absent) → 5", "model.file.a.json: x → (absent)"),
        new RunIdentity(now).differencesFrom(new RunIdentity(old)));
    assertEquals("1", RunIdentity.canonical(1.0));
    assertEquals("[\"a\",\"b\"]", RunIdentity.canonical(List.of("a", "b")));
  }

  @Test
  void theModelFingerprintSeesRetrainedWeightsButNotACopy() throws Exception {
    Path copy = tmp.resolve("model-copy");
    Files.createDirectories(copy);
    try (Stream<Path> s = Files.list(model)) {
      for (Path f : s.toList()) Files.copy(f, copy.resolve(f.getFileName()));
    }
    Map<String, String> original = ModelFingerprint.of(model);
    assertTrue(original.containsKey("model.safetensors") && original.containsKey("config.json"), original.toString());
    assertEquals(original, ModelFingerprint.of(copy), "same content elsewhere, new mtimes: same fingerprint");

    Path retrained = tmp.resolve("model-seed-12"); // same shapes (same header and size), other weights
    ModelMaker.make(Path.of("../conf/models/qwen3-0.6b"), retrained, new ModelMaker.Options(12, DType.F32,
        Map.of("num_hidden_layers", "2", "vocab_size", "320", "hidden_size", "64", "intermediate_size", "128",
            "num_attention_heads", "4", "num_key_value_heads", "2", "head_dim", "16", "max_position_embeddings", "256"),
        ChatFormat.QWEN3, Long.MAX_VALUE, true));
    assertEquals(Files.size(model.resolve("model.safetensors")), Files.size(retrained.resolve("model.safetensors")));
    Map<String, String> other = ModelFingerprint.of(retrained);
    assertNotEquals(original.get("model.safetensors"), other.get("model.safetensors"));
    assertEquals(original.get("tokenizer.json"), other.get("tokenizer.json")); // config.json records the seed

    Files.writeString(copy.resolve("tokenizer_config.json"),
        Files.readString(copy.resolve("tokenizer_config.json")).replace("<|im_start|>", "<|im_start|> "));
    assertNotEquals(original.get("tokenizer_config.json"), ModelFingerprint.of(copy).get("tokenizer_config.json"),
        "a changed chat template changes the fingerprint");
  }

  private static Path onlyRunSummary(Path out) throws Exception {
    List<Path> kept = runSummaries(out);
    assertEquals(1, kept.size(), kept.toString());
    return kept.get(0);
  }

  private static List<Path> runSummaries(Path out) throws Exception {
    try (Stream<Path> s = Files.list(out.resolve(OutputLayout.RUNS))) {
      return s.map(d -> d.resolve(OutputLayout.SUMMARY)).filter(Files::isRegularFile).sorted().toList();
    }
  }
}
