package io.tokenmill.engine.scheduler;

import static io.tokenmill.engine.scheduler.FakeEngine.prompt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SchedulerBatchingTest {

  @Test
  void continuousBatchingRefillsTheBatchTheStepAfterAFinish() {
    FakeEngine e = new FakeEngine(SchedulerConfig.of(4, 64, 8, 256, 512));
    int[] targets = {3, 9, 5, 14, 2, 7, 11, 4, 6, 8};
    for (int i = 0; i < targets.length; i++) {
      e.submit(new SchedRequest("r" + i, 0, prompt(i, 10), 100, i), targets[i]);
    }
    e.runToCompletion(200);
    for (int k = 0; k < e.outputs.size(); k++) {
      SchedulerOutput out = e.outputs.get(k);
      // Whenever something was waiting, the batch was (re)filled to maxRunning in that very step.
      if (e.waitingBeforeStep.get(k) > 0) assertEquals(4, out.numRunning(), "step " + out.step());
      assertEquals(out.numRunning(), out.scheduled().size(), "every running sequence got a token");
    }
    assertEquals(10, e.finished.size());
    for (FinishedSeq f : e.finished.values()) {
      int i = Integer.parseInt(f.request().requestId().substring(1));
      assertEquals(SeqStatus.FINISHED_STOPPED, f.status());
      assertEquals(targets[i], f.outputTokenIds().length);
    }
    int sum = 0;
    for (int t : targets) sum += t;
    SchedulerStats s = e.scheduler.stats();
    assertEquals(100, s.prefillTokens());
    assertEquals(sum - targets.length, s.decodeTokens(), "the first token of each comes from its prefill");
    assertTrue(s.meanOccupancy() > 0.8, "occupancy " + s.meanOccupancy());
  }

  @Test
  void tokenBudgetAndBatchLimitHoldEveryStepUnderRandomLoad() {
    Random rnd = new Random(7);
    FakeEngine e = new FakeEngine(SchedulerConfig.of(6, 24, 4, 512, 400));
    for (int i = 0; i < 30; i++) {
      e.submit(new SchedRequest("r" + i, 0, prompt(100 + i, 1 + rnd.nextInt(60)), 500, i), 1 + rnd.nextInt(40));
    }
    e.runToCompletion(2000); // FakeEngine checks budget, batch size and KV contents every step
    assertEquals(30, e.finished.size());
    for (SchedulerOutput out : e.outputs) assertTrue(out.totalTokens() <= 24);
  }

  @Test
  void longPromptIsChunkedWhileDecodesContinue() {
    chunkedPrefillAlongsideDecodes(2); // the long prompt has the lowest priority
  }

  @Test
  void higherPriorityPrefillStillLeavesBudgetForDecodesBehindIt() {
    chunkedPrefillAlongsideDecodes(-1); // e.g. a re-admitted older request: it runs first in the batch
  }

  private static void chunkedPrefillAlongsideDecodes(long longArrival) {
    FakeEngine e = new FakeEngine(SchedulerConfig.of(4, 16, 8, 256, 512));
    int a = e.submit(new SchedRequest("a", 0, prompt(1, 5), 100, 0), 30);
    int b = e.submit(new SchedRequest("b", 0, prompt(2, 5), 100, 1), 30);
    e.step(); // both prefilled in one step
    e.step(); // both decoding
    int longId = e.submit(new SchedRequest("long", 0, prompt(3, 100), 100, longArrival), 5);
    int chunks = 0;
    int covered = 0;
    while (covered < 100) {
      SchedulerOutput out = e.step();
      ScheduledSeq l = find(out, longId);
      assertEquals(covered, l.start());
      covered = l.endPosition();
      chunks++;
      assertEquals(covered == 100, l.producesToken(), "only the last chunk yields a token");
      // The two decodes ride along in every chunk's step, so the chunk is budget minus two.
      assertEquals(1, find(out, a).numNewTokens());
      assertEquals(1, find(out, b).numNewTokens());
      if (covered < 100) assertEquals(14, l.numNewTokens());
      assertEquals(out.numDecodeTokens() + out.numPrefillTokens(), 2 + l.numNewTokens());
      assertEquals(2, out.numDecodeTokens());
    }
    assertEquals(8, chunks, "ceil(100 / 14)");
    e.runToCompletion(200);
    assertEquals(5, e.finished.get(longId).outputTokenIds().length);
  }

  @Test
  void withoutChunkingAPromptWaitsForAStepWithRoomForAllOfIt() {
    FakeEngine e = new FakeEngine(new SchedulerConfig(4, 64, 8, 256, false, 64));
    e.submit(new SchedRequest("a", 0, prompt(1, 40), 100, 0), 3);
    e.submit(new SchedRequest("b", 0, prompt(2, 40), 100, 1), 3);
    SchedulerOutput first = e.step();
    assertEquals(1, first.scheduled().size(), "b's 40 tokens don't fit the 24 left");
    e.runToCompletion(50);
    for (SchedulerOutput out : e.outputs) {
      for (ScheduledSeq s : out.scheduled()) assertTrue(s.producesToken(), "never a partial prefill");
    }
  }

  @Test
  void lengthLimitsFinishInUpdate() {
    FakeEngine e = new FakeEngine(SchedulerConfig.of(4, 64, 8, 256, 20));
    int capped = e.submit(new SchedRequest("cap", 0, prompt(1, 5), 3, 0), 1000);
    int model = e.submit(new SchedRequest("model", 0, prompt(2, 15), 100, 1), 1000);
    int tooLong = e.submit(new SchedRequest("long", 0, prompt(3, 20), 100, 2), 1000);
    e.runToCompletion(50);
    assertEquals(SeqStatus.FINISHED_LENGTH, e.finished.get(capped).status());
    assertEquals(3, e.finished.get(capped).outputTokenIds().length);
    assertEquals(SeqStatus.FINISHED_LENGTH, e.finished.get(model).status());
    assertEquals(5, e.finished.get(model).outputTokenIds().length, "15 + 5 = maxModelLen");
    assertEquals(SeqStatus.FINISHED_ABORTED, e.finished.get(tooLong).status());
    assertTrue(e.finished.get(tooLong).reason().contains("maxModelLen"));
  }

  @Test
  void updateProtocolIsEnforced() {
    Scheduler s = new Scheduler(SchedulerConfig.of(2, 8, 4, 16, 64));
    int id = s.add(new SchedRequest("a", 0, new int[] {1, 2, 3}, 5, 0));
    SchedulerOutput out = s.schedule();
    assertThrows(IllegalStateException.class, s::schedule, "update first");
    assertThrows(IllegalArgumentException.class, () -> s.update(out, Map.of()), "token missing");
    assertEquals(List.of(), s.update(out, Map.of(id, 9)));
    assertArrayEquals(new int[] {9}, s.outputTokens(id));
    assertThrows(IllegalStateException.class, () -> s.update(out, Map.of(id, 9)), "applied twice");
    assertEquals(SeqStatus.RUNNING, s.status(id));
    assertTrue(s.finish(id, SeqStatus.FINISHED_STOPPED) != null);
    assertEquals(null, s.finish(id, SeqStatus.FINISHED_STOPPED), "finishing twice is a no-op");
    assertFalse(s.hasUnfinished());
    assertTrue(s.schedule().isEmpty());
  }

  @Test
  void configIsValidated() {
    assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.of(0, 8, 4, 16, 64));
    assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.of(16, 8, 4, 16, 64));
    assertThrows(IllegalArgumentException.class, () -> new SchedulerConfig(4, 32, 4, 16, false, 64));
    assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.of(4, 8, 0, 16, 64));
    assertTrue(SeqStatus.FINISHED_LENGTH.isFinished() && !SeqStatus.PREEMPTED.isFinished());
  }

  static ScheduledSeq find(SchedulerOutput out, int seqId) {
    return out.scheduled().stream().filter(s -> s.seqId() == seqId).findFirst()
        .orElseThrow(() -> new AssertionError("seq " + seqId + " not scheduled in step " + out.step()));
  }
}
