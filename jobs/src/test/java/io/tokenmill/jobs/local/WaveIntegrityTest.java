package io.tokenmill.jobs.local;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static io.tokenmill.jobs.testing.JobFixtures.content;
import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static io.tokenmill.jobs.testing.JobFixtures.settings;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.GenerateJob;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.run.WaveKeys;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.ResultRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exactly-once machinery on both runners: a wave whose staged rows lose or repeat a key is never
 * committed (it is generated again, or the run fails with nothing of it visible), and resume works per
 * (id, sample), so samples missing from an earlier run are generated and nothing is written twice.
 */
class WaveIntegrityTest {

  static final RootAllocator WRITER_ALLOCATOR = new RootAllocator();

  @TempDir static Path tmp;
  static Path model;
  static Path input;

  @BeforeAll
  static void setUp() {
    JobFixtures.stopActiveSpark();
    model = JobFixtures.model(tmp.resolve("model"));
    input = jsonl(tmp.resolve("in/prompts.jsonl"), prompts(16));
  }

  @AfterAll
  static void stopSpark() {
    JobFixtures.stopActiveSpark();
  }

  static RunSummary run(String runner, Path out, Map<String, Object> more) throws Exception {
    Map<String, Object> m = new HashMap<>(more);
    m.put("job.runner", runner);
    m.put("spark.master", "local[2]");
    JobSettings s = settings(model, input, out, m);
    return GenerateJob.execute(s); // job.runner names the runner
  }

  static Map<String, Object> sampled(int n, Object... more) {
    Map<String, Object> m = new HashMap<>(Map.of("generation.n", n, "generation.temperature", 0.9,
        "generation.seed", 3, "job.waves", 3));
    for (int i = 0; i < more.length; i += 2) m.put((String) more[i], more[i + 1]);
    return m;
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void aWaveThatLostOrRepeatedRowsIsGeneratedAgainNotCommitted(String runner) throws Exception {
    Path clean = tmp.resolve(runner + "/clean");
    run(runner, clean, sampled(2));
    for (String damage : List.of("lose", "duplicate")) {
      Path out = tmp.resolve(runner + "/" + damage);
      RunSummary s = run(runner, out, sampled(2, "test.fault.staging", damage + ":1"));
      assertEquals(1, s.wavesRetried(), damage + ": wave 2's first attempt failed the check");
      assertEquals(content(rows(clean)), content(rows(out)), damage + ": every key once, same rows as a clean run");
      assertEquals(1, s.toJson().getAsJsonObject("waves").get("regenerated_after_failed_check").getAsInt());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void withoutRetriesTheRunFailsAndNothingOfTheWaveIsVisible(String runner) throws Exception {
    Path out = tmp.resolve(runner + "/no-retry");
    WaveKeys.Mismatch e = assertThrows(WaveKeys.Mismatch.class,
        () -> run(runner, out, sampled(2, "test.fault.staging", "lose:0", "job.wave_retries", 0)));
    assertTrue(e.getMessage().contains("wave 1/3") && e.getMessage().contains("missing sample"), e.getMessage());
    assertTrue(e.getMessage().contains("nothing of this wave was committed"), e.getMessage());
    assertTrue(rows(out).isEmpty(), "the damaged wave never reached rows/");
    // resume (no fault) completes the output exactly
    run(runner, out, sampled(2));
    Path clean = tmp.resolve(runner + "/clean-ref");
    run(runner, clean, sampled(2));
    assertEquals(content(rows(clean)), content(rows(out)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void resumeRegeneratesMissingSamplesOnly(String runner) throws Exception {
    Path whole = tmp.resolve(runner + "/whole");
    run(runner, whole, sampled(3));
    List<ResultRow> all = rows(whole);
    assertEquals(16 * 3, all.size());

    // An output that lost some samples (as the row-loss race once did): keep everything but 5 keys.
    Path out = tmp.resolve(runner + "/holes");
    List<ResultRow> kept = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (ResultRow r : all) {
      int i = Integer.parseInt(r.id().substring(1));
      if (i % 3 == 0 && r.sample() == i % 2 + 1 && dropped.size() < 5) dropped.add(r.id() + "#" + r.sample());
      else kept.add(r);
    }
    assertEquals(5, dropped.size());
    // not closed: the dataset writer's native threads release exported batches after write() returns
    ArrowParquet.write(kept, out.resolve("rows/wave=old-000"), WRITER_ALLOCATOR);
    RunSummary s = run(runner, out, sampled(3));
    assertEquals(16 - 5, s.toJson().getAsJsonObject("rows").get("resumed_prompts").getAsLong(),
        "ids with every sample committed are skipped");
    assertEquals(5, s.toJson().getAsJsonObject("rows").get("written_this_run").getAsLong(),
        "only the missing samples " + dropped + " are written");
    assertEquals(content(all), content(rows(out)), "the holes are filled with the same rows, each key once");
    try (Stream<Path> st = Files.list(out)) {
      assertTrue(st.noneMatch(p -> p.getFileName().toString().equals("_staging")
          && p.toFile().list().length > 0), "no staging left behind");
    }
  }
}
