package io.tokenmill.jobs.spark;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static io.tokenmill.jobs.testing.JobFixtures.content;
import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static io.tokenmill.jobs.testing.JobFixtures.settings;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.local.LocalRunner;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.ResultRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark runner in-process on {@code local[2,3]} (2 task slots, up to 3 attempts per task): it writes the
 * same rows as the Arrow runner, Spark task retries neither duplicate nor change rows, and a stopped run
 * resumed equals an uninterrupted one.
 */
class SparkJobTest {

  @TempDir static Path tmp;
  static Path model;
  static Path input;

  @BeforeAll
  static void setUp() {
    // A session another test class left active would be reused by getOrCreate with its master, e.g. local[2]
    // without task retries; these tests need local[2,3].
    stopSpark();
    model = JobFixtures.model(tmp.resolve("model"));
    List<String> lines = new ArrayList<>(prompts(20));
    lines.add("{\"id\": \"empty\", \"prompt\": \"\"}");
    lines.add("{\"id\": \"p003\", \"prompt\": \"duplicate\"}");
    lines.add("{\"id\": \"chat\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi there\"}], \"system\": \"Be brief.\"}");
    input = jsonl(tmp.resolve("in/prompts.jsonl"), lines);
  }

  @AfterAll
  static void stopSpark() {
    JobFixtures.stopActiveSpark();
  }

  @Test
  void sparkAndArrowRunnersWriteTheSameRows() throws Exception {
    Map<String, Object> sampled = Map.of("generation.n", 2, "generation.temperature", 0.8, "generation.seed", 5);
    for (Map<String, Object> gen : List.of(Map.<String, Object>of(), sampled)) {
      Path sparkOut = tmp.resolve("cmp/spark-" + gen.size());
      Path localOut = tmp.resolve("cmp/local-" + gen.size());
      RunSummary s = SparkRunner.run(settings(model, input, sparkOut, gen));
      java.util.HashMap<String, Object> local = new java.util.HashMap<>(gen);
      local.put("job.runner", "local");
      LocalRunner.run(settings(model, input, localOut, local));
      List<ResultRow> sparkRows = rows(sparkOut);
      int n = gen.isEmpty() ? 1 : 2;
      assertEquals(22 * n, sparkRows.size(), "the repeated p003 is listed in duplicate_ids.jsonl, not generated");
      assertEquals(java.nio.file.Files.readAllLines(localOut.resolve("duplicate_ids.jsonl")),
          java.nio.file.Files.readAllLines(sparkOut.resolve("duplicate_ids.jsonl")));
      assertEquals(1, s.duplicateRows());
      // throughput is over the generation phase, not Spark's start-up, reading or the summary
      var j = s.toJson();
      double generation = j.get("generation_seconds").getAsDouble();
      assertTrue(generation > 0 && generation < j.get("wall_seconds").getAsDouble(), j.toString());
      assertEquals(j.getAsJsonObject("tokens").get("output_this_run").getAsLong() / s.generationSeconds(),
          j.get("output_tokens_per_s").getAsDouble(), 0.01);
      assertEquals(content(rows(localOut)), content(sparkRows), "same keys, texts and token counts");
      assertEquals(n, s.totals().failed, "empty prompt (x n samples): " + s.totals().errorsByKind);
      ResultRow chat = sparkRows.stream().filter(r -> r.id().equals("chat")).findFirst().orElseThrow();
      assertTrue(chat.promptText().contains("Be brief.") && chat.promptText().contains("Hi there"), chat.promptText());
    }
    RunSummary again = SparkRunner.run(settings(model, input, tmp.resolve("cmp/again"), Map.of("job.waves", 2)));
    assertEquals(1, again.engines().get(0).modelLoads(),
        "one engine per JVM for this model, shared by both runners and every task and wave");
  }

  @Test
  void aRunRemovesTheListenersItAdded() throws Exception {
    SparkRunner.run(settings(model, input, tmp.resolve("listeners/a"), Map.of()));
    SparkRunner.run(settings(model, input, tmp.resolve("listeners/b"), Map.of()));
    var listeners = org.apache.spark.sql.SparkSession.active().sparkContext().listenerBus().listeners();
    assertTrue(listeners.stream().noneMatch(l -> l instanceof LiveProgress), "listeners left: " + listeners);
  }

  /**
   * A running task's heartbeat value counts until its task-end event; the driver merges the task's value
   * into the accumulator before that event is delivered, so for a while the live value counts it twice.
   * {@code settle()} (called when a wave's job returns) drops the running values: then the merged value
   * alone is the count.
   */
  @Test
  void liveCountsSettleToTheMergedValueWhenAJobReturns() throws Exception {
    SparkRunner.run(settings(model, input, tmp.resolve("settle/out"), Map.of()));
    var sc = org.apache.spark.sql.SparkSession.active().sparkContext();
    org.apache.spark.util.LongAccumulator acc = sc.longAccumulator("settle-test");
    LiveProgress live = new LiveProgress(acc);
    var info = new org.apache.spark.scheduler.AccumulableInfo(acc.id(), scala.Option.apply("settle-test"),
        scala.Option.apply((Object) 5L), scala.Option.empty(), false, false, scala.Option.empty());
    var perTask = new scala.Tuple4<Object, Object, Object, scala.collection.immutable.Seq<org.apache.spark.scheduler.AccumulableInfo>>(
        7L, 0, 0, scala.jdk.javaapi.CollectionConverters.asScala(List.of(info)).toList());
    live.onExecutorMetricsUpdate(new org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate("0",
        scala.jdk.javaapi.CollectionConverters.asScala(List.of(perTask)).toList(),
        scala.collection.immutable.Map$.MODULE$.empty()));
    assertEquals(5, live.value(), "a running task's heartbeat value");
    acc.add(5); // the task ended: the driver merged its value, its task-end event not delivered yet
    assertEquals(10, live.value(), "counted twice until the task-end event");
    live.settle();
    assertEquals(5, live.value());
  }

  @Test
  void sparkUiSaysWhatRuns() throws Exception {
    SparkRunner.run(settings(model, input, tmp.resolve("labels/warm"), Map.of()));
    var sc = org.apache.spark.sql.SparkSession.active().sparkContext();
    List<String> stages = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String> jobs = java.util.Collections.synchronizedList(new ArrayList<>());
    var listener = new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onStageSubmitted(org.apache.spark.scheduler.SparkListenerStageSubmitted e) {
        stages.add(e.stageInfo().name());
      }

      @Override
      public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart e) {
        jobs.add(String.valueOf(e.properties().getProperty("spark.job.description")));
      }
    };
    sc.addSparkListener(listener);
    try {
      SparkRunner.run(settings(model, input, tmp.resolve("labels/out"), Map.of("job.waves", 2)));
      sc.listenerBus().waitUntilEmpty();
    } finally {
      sc.removeSparkListener(listener);
    }
    assertTrue(stages.stream().anyMatch(n -> n.contains("tokenmill generate wave 2/2")), "stages: " + stages);
    assertTrue(jobs.contains("tokenmill generate wave 1/2"), "jobs: " + jobs);
    assertTrue(jobs.contains("tokenmill check wave 1/2"), "jobs: " + jobs);
    assertTrue(jobs.contains("tokenmill summary"), "jobs: " + jobs);
    assertTrue(stages.stream().noneMatch(n -> n.contains("CompletableFuture")), "stages: " + stages);
  }

  @Test
  void sparkSubmitConfWinsOverTheYamlsSparkConf() {
    stopSpark();
    System.setProperty("spark.tokenmill.probe", "from-spark-submit");
    System.setProperty("spark.app.name", "named-by-spark-submit");
    try {
      var spark = SparkRunner.session(settings(model, input, tmp.resolve("conf/out"),
          Map.of("spark.conf.spark.tokenmill.probe", "from-yaml", "spark.conf.spark.tokenmill.other", "yaml-only")));
      assertEquals("from-spark-submit", spark.conf().get("spark.tokenmill.probe"));
      assertEquals("yaml-only", spark.conf().get("spark.tokenmill.other"), "keys Spark was not given still apply");
      assertEquals("named-by-spark-submit", spark.sparkContext().appName(), "spark-submit --name wins over job.name");
    } finally {
      System.clearProperty("spark.tokenmill.probe");
      System.clearProperty("spark.app.name");
      stopSpark();
    }
  }

  @Test
  void aFailedTaskIsRetriedWithoutDuplicatesOrChanges() throws Exception {
    Path clean = tmp.resolve("fault/clean");
    SparkRunner.run(settings(model, input, clean, Map.of("job.partitions", 3)));
    Path faulty = tmp.resolve("fault/faulty");
    SparkRunner.run(settings(model, input, faulty, Map.of("job.partitions", 3,
        "test.fault.fail_partition", 1, "test.fault.fail_after_rows", 2)));
    List<ResultRow> rows = rows(faulty);
    assertTrue(rows.stream().anyMatch(r -> r.attempt() == 1), "partition 1 ran a second attempt");
    assertEquals(content(rows(clean)), content(rows), "each key once, same content as the run without a fault");
  }

  @Test
  void stoppedRunResumedEqualsUninterruptedRun() throws Exception {
    Path whole = tmp.resolve("resume/whole");
    SparkRunner.run(settings(model, input, whole, Map.of("job.waves", 3)));
    Path out = tmp.resolve("resume/out");
    RunSummary first = SparkRunner.run(settings(model, input, out, Map.of("job.waves", 3, "test.stop_after_waves", 1)));
    assertTrue(first.toJson().get("stopped_early").getAsBoolean());
    int afterFirst = rows(out).size();
    assertTrue(afterFirst > 0 && afterFirst < 23, "one wave of three: " + afterFirst);
    RunSummary second = SparkRunner.run(settings(model, input, out, Map.of("job.waves", 3)));
    assertTrue(second.toJson().getAsJsonObject("rows").get("resumed_prompts").getAsLong() > 0);
    assertEquals(content(rows(whole)), content(rows(out)));
  }
}
