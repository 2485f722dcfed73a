package io.tokenmill.jobs;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static io.tokenmill.jobs.testing.JobFixtures.settings;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.ResultRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many tiny waves, run again and again on both runners: every (id, sample) key must come out exactly once.
 * This is the test that caught rows going missing when a sample finished between the generator's "queue
 * empty" and "nothing outstanding" checks. Repetitions: {@code -Dtokenmill.stress.reps=N} (CI runs a few;
 * the issue's acceptance ran 20).
 */
class ExactlyOnceStressTest {

  static final int REPS = Integer.getInteger("tokenmill.stress.reps", 3);
  static final int PROMPTS = 60;

  @TempDir static Path tmp;
  static Path model;
  static Path input;

  @BeforeAll
  static void setUp() {
    JobFixtures.stopActiveSpark();
    model = JobFixtures.model(tmp.resolve("model"));
    input = jsonl(tmp.resolve("in/prompts.jsonl"), prompts(PROMPTS));
  }

  @AfterAll
  static void stopSpark() {
    JobFixtures.stopActiveSpark();
  }

  /** Keys → how often they occur; what went wrong as a readable message. */
  static String problems(List<ResultRow> rows, int n) {
    Map<String, Integer> seen = new TreeMap<>();
    for (ResultRow r : rows) seen.merge(r.id() + "#" + r.sample(), 1, Integer::sum);
    TreeSet<String> missing = new TreeSet<>();
    for (int i = 0; i < PROMPTS; i++) {
      for (int s = 0; s < n; s++) {
        String k = String.format("p%03d#%d", i, s);
        if (!seen.containsKey(k)) missing.add(k);
      }
    }
    List<String> twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    return missing.isEmpty() && twice.isEmpty() ? "" : "missing " + missing + ", more than once " + twice;
  }

  @Test
  void arrowRunnerWritesEveryKeyExactlyOnce() throws Exception {
    runRepeatedly("local", 1 + Math.max(1, REPS) * 3);
  }

  @Test
  void sparkRunnerWritesEveryKeyExactlyOnce() throws Exception {
    runRepeatedly("spark", Math.max(1, REPS));
  }

  private void runRepeatedly(String runner, int reps) throws Exception {
    List<String> failures = new ArrayList<>();
    for (int rep = 0; rep < reps; rep++) {
      int n = rep % 2 == 0 ? 1 : 3;
      Path out = tmp.resolve(runner + "/rep" + rep);
      Map<String, Object> more = new HashMap<>();
      more.put("job.runner", runner);
      more.put("job.wave_rows", 4);
      more.put("generation.n", n);
      more.put("generation.temperature", n > 1 ? 0.8 : 0.0);
      more.put("spark.master", "local[2]");
      RunSummary s = GenerateJob.execute(settings(model, input, out, more)); // job.runner names the runner
      String p = problems(rows(out), n);
      if (!p.isEmpty()) failures.add("rep " + rep + " (n=" + n + "): " + p);
      if (s.totals().rows != (long) PROMPTS * n) failures.add("rep " + rep + ": summary counts " + s.totals().rows);
    }
    assertTrue(failures.isEmpty(), runner + " lost or repeated keys: " + failures);
  }
}
