package io.tokenmill.jobs.spark;

import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.testing.ChildJob;
import io.tokenmill.jobs.testing.JobFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logging goes through Spark's own log4j2 (not a separate SLF4J binding): {@code setLogLevel} governs Spark's
 * lines and every library's SLF4J lines, and a job run on Spark's built-in INFO profile (spark-submit without
 * a log4j2.properties) is quiet while Tokenmill's own progress lines still show. Each case in a child JVM,
 * reading what a user's console would show.
 */
class SparkLoggingTest {

  @TempDir static Path tmp;

  @Test
  void setLogLevelErrorSilencesInfoAndWarnings() throws Exception {
    try (ChildJob probe = ChildJob.startMain(LogLevelProbe.class.getName(), flag -> true, List.of())) {
      assertEquals(0, probe.exitStatus(300), probe.log());
      List<String> lines = Arrays.asList(probe.fullLog().split("\n"));
      int info = lines.indexOf("PROBE level INFO");
      int error = lines.indexOf("PROBE level ERROR");
      int done = lines.indexOf("PROBE done");
      assertTrue(info >= 0 && info < error && error < done, probe.log());
      // at INFO Spark's lines show: logging really goes through log4j2 (with another binding, none would)
      assertTrue(lines.subList(info, error).stream().anyMatch(l -> l.contains(" INFO ")),
          "no INFO line after setLogLevel(\"INFO\"):\n" + probe.log());
      List<String> afterError = lines.subList(error + 1, done);
      assertEquals(List.of(), afterError.stream().filter(l -> l.contains(" INFO ") || l.contains(" WARN ")).toList(),
          "setLogLevel(\"ERROR\") left INFO/WARN lines");
      assertTrue(afterError.stream().anyMatch(l -> l.contains(" ERROR ") && l.contains("probe error through SLF4J")),
          "an SLF4J error should still show:\n" + String.join("\n", afterError));
    }
  }

  @Test
  void jobOnSparksDefaultProfileIsQuietButShowsProgress() throws Exception {
    Path model = JobFixtures.model(tmp.resolve("model"));
    Path input = jsonl(tmp.resolve("in/prompts.jsonl"), prompts(4));
    List<String> args = new ArrayList<>(List.of("--set", "input.path=" + input, "--set", "model.path=" + model,
        "--set", "output.path=" + tmp.resolve("out"), "--set", "generation.max_new_tokens=6",
        "--set", "engine.kv_memory_bytes=16m", "--set", "spark.master=local[1]",
        "--set", "spark.conf.spark.ui.enabled=false"));
    // no -Dlog4j2.configurationFile: log4j finds no config, so Spark loads its own INFO profile (as spark-submit
    // does on a Spark install without conf/log4j2.properties)
    try (ChildJob job = ChildJob.startMain("io.tokenmill.jobs.GenerateJob",
        flag -> !flag.startsWith("-Dlog4j2.configurationFile"), args)) {
      assertEquals(0, job.exitStatus(300), job.log());
      String log = job.fullLog();
      List<String> lines = Arrays.asList(log.split("\n"));
      int started = indexOfContaining(lines, "] starting Spark");
      assertTrue(started >= 0, log);
      assertEquals(List.of(), lines.subList(started, lines.size()).stream().filter(l -> l.contains(" INFO ")).toList(),
          "INFO lines on Spark's default profile");
      assertTrue(log.contains("Using Spark's default log4j profile"), "the case under test: Spark's defaults\n" + log);
      assertTrue(log.contains("[tokenmill] wave 1/1 rows 4/4"), "progress line\n" + log);
      assertTrue(log.contains("Tokenmill run"), "summary table\n" + log);
    }
  }

  private static int indexOfContaining(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(text)) return i;
    return -1;
  }
}
