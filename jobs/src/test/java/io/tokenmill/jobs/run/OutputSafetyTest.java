package io.tokenmill.jobs.run;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static io.tokenmill.jobs.testing.JobFixtures.content;
import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static io.tokenmill.jobs.testing.JobFixtures.settings;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.GenerateJob;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.ResultRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both runners end to end (Arrow runner: LocalOutputStore; Spark runner: HadoopOutputStore): overwrite and
 * resume only ever touch a directory Tokenmill created, output and input may not contain one another, and
 * two runs on one output do not both write it.
 */
class OutputSafetyTest {

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

  static RunSummary run(String runner, Path in, Path out, Map<String, Object> more) throws Exception {
    Map<String, Object> m = new HashMap<>(more);
    m.put("job.runner", runner);
    JobSettings s = settings(model, in, out, m);
    return GenerateJob.execute(s); // job.runner names the runner
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void overwriteRefusesADirectoryTokenmillDidNotCreate(String runner) throws Exception {
    Path out = tmp.resolve(runner + "/foreign");
    Files.createDirectories(out.resolve("keep"));
    Files.writeString(out.resolve("notes.txt"), "someone's notes");
    Files.writeString(out.resolve("keep/data.csv"), "a,b\n");
    for (String mode : List.of("overwrite", "resume", "fail_if_exists")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> run(runner, input, out, Map.of("output.mode", mode)), mode);
      assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("not a Tokenmill output"),
          mode + ": " + e.getMessage());
    }
    assertEquals("someone's notes", Files.readString(out.resolve("notes.txt")));
    assertEquals("a,b\n", Files.readString(out.resolve("keep/data.csv")));
    assertFalse(Files.exists(out.resolve("rows")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void overwriteRefusesARegularFile(String runner) throws Exception {
    Path out = tmp.resolve(runner + "/a-file.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, "not a directory");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> run(runner, input, out, Map.of("output.mode", "overwrite")));
    assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("regular file"), e.getMessage());
    assertEquals("not a directory", Files.readString(out));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void outputAndInputMayNotContainOneAnother(String runner) throws Exception {
    Path inDir = tmp.resolve(runner + "/overlap/in");
    jsonl(inDir.resolve("part-1.jsonl"), prompts(3));
    Map<String, Object> overwrite = Map.of("output.mode", "overwrite", "input.format", "jsonl");
    // the input directory itself, a directory inside it, and the same directory reached through a symlink
    Path link = Files.createSymbolicLink(tmp.resolve(runner + "/overlap/link"), inDir);
    for (Path out : List.of(inDir, inDir.resolve("out"), link.resolve("out"))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> run(runner, inDir, out, overwrite), out.toString());
      assertTrue(e.getMessage().contains(inDir.toString()) && e.getMessage().contains(out.toString()),
          out + ": " + e.getMessage());
    }
    // the input inside the output
    Path outer = tmp.resolve(runner + "/overlap/outer");
    Path innerInput = jsonl(outer.resolve("prompts.jsonl"), prompts(3));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> run(runner, innerInput, outer, overwrite));
    assertTrue(e.getMessage().contains(innerInput.toString()) && e.getMessage().contains(outer.toString()),
        e.getMessage());
    assertTrue(Files.exists(inDir.resolve("part-1.jsonl")) && Files.exists(innerInput), "inputs untouched");
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void anEmptyDirectoryIsAdoptedAndOverwriteThenReplacesOnlyTokenmillsOutput(String runner) throws Exception {
    Path out = Files.createDirectories(tmp.resolve(runner + "/empty"));
    run(runner, input, out, Map.of("output.mode", "overwrite"));
    assertEquals(6, rows(out).size());
    assertTrue(Files.isRegularFile(out.resolve("_tokenmill")), "marker written");
    run(runner, input, out, Map.of("output.mode", "overwrite"));
    assertEquals(6, rows(out).size(), "overwrite of its own output: the old rows are gone");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> run(runner, input, out, Map.of("output.mode", "fail_if_exists")));
    assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
  }

  @Test
  void anOutputWrittenBeforeTheMarkerExistedIsResumed() throws Exception {
    Path out = tmp.resolve("legacy/out");
    run("local", input, out, Map.of());
    Files.deleteIfExists(out.resolve("_tokenmill")); // what an older Tokenmill left: rows/ and run_summary.json
    RunSummary again = run("local", input, out, Map.of());
    assertEquals(6, again.toJson().getAsJsonObject("rows").get("resumed_prompts").getAsLong());
    assertTrue(Files.isRegularFile(out.resolve("_tokenmill")), "adopted: the marker is written");
  }

  @Test
  void twoRunsStartedAtOnceOnOneOutputDoNotBothWriteIt() throws Exception {
    Path in = jsonl(tmp.resolve("twice/in.jsonl"), prompts(20));
    Path out = tmp.resolve("twice/out");
    CountDownLatch start = new CountDownLatch(1);
    Callable<RunSummary> job = () -> {
      start.await();
      return run("local", in, out, Map.of("job.waves", 3));
    };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<RunSummary> a = pool.submit(job);
      Future<RunSummary> b = pool.submit(job);
      start.countDown();
      int refused = 0;
      for (Future<RunSummary> f : List.of(a, b)) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          assertInstanceOf(IllegalArgumentException.class, e.getCause(), "exit status 2");
          String m = e.getCause().getMessage();
          assertTrue(m.contains(out.toString()) && m.contains("pid " + ProcessHandle.current().pid()), m);
          refused++;
        }
      }
      assertEquals(1, refused, "one run holds the output, the other is refused");
    } finally {
      pool.shutdownNow();
    }
    assertEquals(20, content(rows(out)).size(), "each key once");
    assertFalse(Files.exists(out.resolve("_lock")), "released");
  }
}
