package io.tokenmill.engine.scheduler;

import static io.tokenmill.engine.scheduler.FakeEngine.concat;
import static io.tokenmill.engine.scheduler.FakeEngine.prompt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PreemptionTest {

  /** Submits a fixed mixed workload: shared prefixes, n=2 samples, outputs from 3 to 60 tokens. */
  private static void workload(FakeEngine e, long seed, int count) {
    Random rnd = new Random(seed * 0x9E3779B97F4A7C15L);
    int[] system = prompt(999, 12);
    for (int i = 0; i < count; i++) {
      int[] p = prompt((int) seed * 100 + i, 5 + rnd.nextInt(30));
      if (rnd.nextBoolean()) p = concat(system, p);
      int n = rnd.nextInt(4) == 0 ? 2 : 1;
      for (SchedRequest r : SchedRequest.samples("r" + i, n, p, 200, i)) e.submit(r, 3 + rnd.nextInt(58));
    }
  }

  private static FakeEngine run(SchedulerConfig config, long seed, int count) {
    FakeEngine e = new FakeEngine(config);
    workload(e, seed, count);
    e.runToCompletion(20_000);
    for (FinishedSeq f : e.finished.values()) assertEquals(SeqStatus.FINISHED_STOPPED, f.status(), f.reason());
    return e;
  }

  @Test
  void tinyPoolGivesExactlyTheOutputsOfABigPool() {
    // Longest sequence: 12 + 34 + 60 = 106 tokens = 14 blocks of 8; the tiny pool holds 16.
    FakeEngine big = run(SchedulerConfig.of(6, 32, 8, 4096, 512), 1, 12);
    FakeEngine tiny = run(SchedulerConfig.of(6, 32, 8, 16, 512), 1, 12);
    assertEquals(0, big.scheduler.stats().preemptions());
    assertTrue(tiny.scheduler.stats().preemptions() > 5, "pool not tight: " + tiny.scheduler.stats());
    assertEquals(big.results(), tiny.results());
  }

  @Test
  void randomWorkloadsAndPoolsAgreeWithTheBigPool() {
    long preemptions = 0;
    for (long seed = 2; seed < 26; seed++) {
      Random rnd = new Random(seed * 0x9E3779B97F4A7C15L);
      int bs = 1 << (1 + rnd.nextInt(4)); // 2..16
      int maxRunning = 1 + rnd.nextInt(8);
      boolean chunked = rnd.nextInt(4) != 0;
      int budget = chunked ? maxRunning + rnd.nextInt(40) : 512;
      int minBlocks = KvBlockManager.blocksFor(106, bs);
      int tightBlocks = minBlocks + rnd.nextInt(8);
      SchedulerConfig tight = new SchedulerConfig(maxRunning, budget, bs, tightBlocks, chunked, 512);
      SchedulerConfig roomy = new SchedulerConfig(maxRunning, budget, bs, 100_000 / bs, chunked, 512);
      FakeEngine t = run(tight, seed, 10);
      preemptions += t.scheduler.stats().preemptions();
      assertEquals(run(roomy, seed, 10).results(), t.results(), "seed " + seed + ", " + tight);
    }
    assertTrue(preemptions > 0);
  }

  @Test
  void theLatestArrivalIsPreemptedAndResumesFirst() {
    // Three 7-token prompts in 2 blocks of 4 each fill the 6-block pool; all need a 3rd block at once.
    FakeEngine e = new FakeEngine(SchedulerConfig.of(3, 16, 4, 6, 64));
    int a = e.submit(new SchedRequest("a", 0, prompt(1, 7), 100, 0), 4);
    int b = e.submit(new SchedRequest("b", 0, prompt(2, 7), 100, 1), 4);
    int c = e.submit(new SchedRequest("c", 0, prompt(3, 7), 100, 2), 4);
    int d = e.submit(new SchedRequest("d", 0, prompt(4, 3), 100, 3), 2); // waits: batch and pool full
    e.step(); // prefill, first tokens
    e.step(); // decode at position 7, still in block 2
    SchedulerOutput pressured = e.step();
    assertEquals(List.of(c), pressured.preempted());
    assertEquals(SeqStatus.PREEMPTED, e.scheduler.status(c));
    assertEquals(2, pressured.scheduled().size());
    assertEquals(SeqStatus.WAITING, e.scheduler.status(d));
    e.runToCompletion(100);
    // c went back to the FRONT of the queue, ahead of d which was already waiting.
    long resumed = firstStepOf(e, c, pressured.step());
    assertEquals(resumed, firstStepOf(e, d, 0), "both fit once a and b are done");
    List<ScheduledSeq> batch = e.outputs.get((int) resumed - 1).scheduled();
    assertTrue(indexOf(batch, c) < indexOf(batch, d));
    // Its output survived the preemption: 2 tokens before, 2 after, exactly the sampler's sequence.
    int[] out = e.finished.get(c).outputTokenIds();
    assertEquals(4, out.length);
    for (int i = 0; i < 4; i++) assertEquals(FakeEngine.sample("c", 0, i), out[i]);
    assertEquals(SeqStatus.FINISHED_STOPPED, e.finished.get(a).status());
    assertEquals(SeqStatus.FINISHED_STOPPED, e.finished.get(b).status());
  }

  private static int indexOf(List<ScheduledSeq> batch, int seqId) {
    for (int i = 0; i < batch.size(); i++) if (batch.get(i).seqId() == seqId) return i;
    return -1;
  }

  private static long firstStepOf(FakeEngine e, int seqId, long after) {
    for (SchedulerOutput out : e.outputs) {
      if (out.step() <= after) continue;
      for (ScheduledSeq s : out.scheduled()) if (s.seqId() == seqId) return out.step();
    }
    return Long.MAX_VALUE;
  }
}
