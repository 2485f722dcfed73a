package io.tokenmill.jobs.run;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static io.tokenmill.jobs.testing.JobFixtures.content;
import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonParser;
import io.tokenmill.jobs.GenerateJob;
import io.tokenmill.jobs.local.LocalRunner;
import io.tokenmill.jobs.testing.ChildJob;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.ResultRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the driver, then resume, on both runners: a child JVM runs the job with {@code test.fault.pause_at}
 * and is killed (SIGKILL) where it pauses — wave 1 in flight, wave 2 complete in staging but not committed,
 * right after wave 2's commit, while the summary is written — each kill on the output the previous one left.
 * While the first child holds the output, a second run is refused (the lock); each later child takes over the
 * lock its killed predecessor left (dead pid on this host). A last resume run in this JVM must leave exactly the
 * rows of an uninterrupted run (greedy decoding is deterministic; provenance columns blanked), each key once.
 */
class KillAndResumeTest {

  static final List<String> KILL_POINTS = List.of("wave_running:1", "before_commit:2", "after_commit:2", "summary");

  @TempDir static Path tmp;
  static Path model;
  static Path input;
  static Map<String, List<Object>> uninterrupted;

  @BeforeAll
  static void setUp() throws Exception {
    JobFixtures.stopActiveSpark();
    model = JobFixtures.model(tmp.resolve("model"));
    input = jsonl(tmp.resolve("in/prompts.jsonl"), prompts(20));
    Path whole = tmp.resolve("whole");
    LocalRunner.run(JobFixtures.settings(model, input, whole, settings("local", whole)));
    uninterrupted = content(rows(whole));
    assertEquals(20, uninterrupted.size());
  }

  @AfterAll
  static void stopSpark() {
    JobFixtures.stopActiveSpark();
  }

  static Map<String, Object> settings(String runner, Path out) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model.path", model);
    m.put("input.path", input);
    m.put("output.path", out);
    m.put("job.runner", runner);
    m.put("job.waves", 3);
    m.put("job.partitions", 2);
    m.put("job.examples", 0);
    m.put("job.progress", false);
    m.put("generation.max_new_tokens", 12);
    m.put("engine.max_batch", 8);
    m.put("engine.kv_memory_bytes", "16m");
    m.put("spark.master", "local[2]");
    m.put("spark.conf.spark.ui.enabled", false);
    m.put("spark.conf.spark.sql.shuffle.partitions", 4);
    return m;
  }

  static RunSummary runHere(String runner, Path out) throws Exception {
    JobSettings s = JobFixtures.settings(model, input, out, settings(runner, out));
    return GenerateJob.execute(s); // job.runner names the runner
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void killedAtEachPointThenResumedEqualsAnUninterruptedRun(String runner) throws Exception {
    Path out = tmp.resolve(runner + "-killed");
    long t0 = System.nanoTime();
    for (String point : KILL_POINTS) {
      Map<String, Object> m = settings(runner, out);
      m.put("test.fault.pause_at", point);
      try (ChildJob child = ChildJob.start(m)) {
        assertTrue(child.awaitLine(TestPause.MARKER + point, 180),
            runner + ": the child never reached " + point + ":\n" + child.log());
        if (point.equals(KILL_POINTS.get(0))) {
          OutputRefusedException busy = assertThrows(OutputRefusedException.class, () -> runHere(runner, out),
              "a second run while the first holds the output");
          assertTrue(busy.getMessage().contains("pid " + child.pid()) && busy.getMessage().contains(out.toString()),
              busy.getMessage());
          if (runner.equals("local")) { // and from the command line: exit status 2 (a Spark child would add ~10 s)
            try (ChildJob second = ChildJob.start(settings(runner, out))) {
              assertEquals(2, second.exitStatus(120), second.log());
              assertTrue(second.log().contains("is in use by another run"), second.log());
            }
          }
        } else {
          assertTrue(child.log().contains("taking over"), "took over the killed run's lock:\n" + child.log());
        }
        child.kill();
        String lock = Files.readString(out.resolve("_lock"));
        assertEquals(child.pid(), JsonParser.parseString(lock).getAsJsonObject().get("pid").getAsLong(),
            "the killed run's lock is left behind");
      }
      Map<String, List<Object>> sofar = content(rows(out)); // throws if a key is there twice
      for (var e : sofar.entrySet()) assertEquals(uninterrupted.get(e.getKey()), e.getValue(), e.getKey());
      if (point.equals("before_commit:2")) {
        assertTrue(Files.isDirectory(out.resolve("_staging")), "wave 2 was complete in staging, never committed");
      }
      System.err.printf("[%s] killed at %s: %d rows committed, %.1f s so far%n", runner, point, sofar.size(),
          (System.nanoTime() - t0) / 1e9);
    }
    RunSummary last = runHere(runner, out);
    assertEquals(uninterrupted, content(rows(out)), "same rows as an uninterrupted run, each key once");
    assertEquals(20, last.toJson().getAsJsonObject("rows").get("resumed_prompts").getAsLong());
    assertFalse(Files.exists(out.resolve("_lock")), "released");
    assertTrue(Files.isRegularFile(out.resolve("run_summary.json")));
    System.err.printf("[%s] kill/resume test: %.1f s%n", runner, (System.nanoTime() - t0) / 1e9);
  }
}
