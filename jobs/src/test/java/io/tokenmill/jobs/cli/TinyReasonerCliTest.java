package io.tokenmill.jobs.cli;

import static io.tokenmill.jobs.cli.CliTest.capture;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.cli.CliTest.Captured;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-tiny, eval-tiny and tiny-prompts through the real CLI entry point (tiny sizes: seconds). */
class TinyReasonerCliTest {

  @TempDir Path tmp;

  @Test
  void trainTinyWritesAModelDirectory() {
    Path out = tmp.resolve("tiny");
    Captured c = capture(() -> TokenmillCli.run("train-tiny", "--out", out.toString(), "--steps", "2",
        "--log-every", "1"));
    assertEquals(0, c.code(), c.err());
    assertTrue(c.out().contains("step     2"), c.out());
    for (String f : new String[] {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
        "model.safetensors"}) {
      assertTrue(Files.exists(out.resolve(f)), f);
    }
    Captured again = capture(() -> TokenmillCli.run("train-tiny", "--out", out.toString(), "--steps", "1"));
    assertEquals(2, again.code(), "refuses to overwrite without --force");
  }

  @Test
  void evalTinyPrintsAccuracyAndBudgetTables() {
    Captured c = capture(() -> TokenmillCli.run("eval-tiny", "--model", "../data-samples/models/tiny-reasoner",
        "--per-level", "2", "--budgets"));
    assertEquals(0, c.code(), c.err());
    assertTrue(c.out().contains("| add | 4 | 7-8 digits | 2 (2) |"), c.out());
    assertTrue(c.out().contains("| count | 25% = "), c.out());
  }

  @Test
  void evalTinyForcedLinesPrintsWhereTracesBreak() {
    Path untrained = tmp.resolve("one-step");
    Captured trained = capture(() -> TokenmillCli.run("train-tiny", "--out", untrained.toString(), "--steps", "1"));
    assertEquals(0, trained.code(), trained.err());
    Captured c = capture(() -> TokenmillCli.run("eval-tiny", "--model", untrained.toString(),
        "--tasks", "seating", "--per-level", "1", "--forced-lines", "--no-accuracy", "--show-failures", "1"));
    assertEquals(0, c.code(), c.err());
    // one training step has taught it nothing about puzzles: all 4 break at the first line
    assertTrue(c.out().contains("| seating | layout | 4 | 0.0% | 4 |"), c.out());
    assertTrue(c.out().contains("WRONG seating layout: "), c.out());
  }

  @Test
  void tinyPromptsWritesJsonLines() throws Exception {
    Path out = tmp.resolve("p.jsonl");
    Captured c = capture(() -> TokenmillCli.run("tiny-prompts", "--out", out.toString(), "--per-task", "8"));
    assertEquals(0, c.code(), c.err());
    assertEquals(32, Files.readAllLines(out).size());
    assertTrue(Files.readAllLines(out).get(0).startsWith("{\"id\":\"add-L1-"));
  }
}
