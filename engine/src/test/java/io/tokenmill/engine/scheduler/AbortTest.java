package io.tokenmill.engine.scheduler;

import static io.tokenmill.engine.scheduler.FakeEngine.prompt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AbortTest {

  @Test
  void abortFreesBlocksOfRunningAndWaitingSamples() {
    FakeEngine e = new FakeEngine(SchedulerConfig.of(2, 64, 4, 64, 256));
    int keep = e.submit(new SchedRequest("keep", 0, prompt(1, 10), 100, 0), 20);
    int[] p = prompt(2, 10);
    int running = e.submit(new SchedRequest("kill", 0, p, 100, 1), 20);
    int waiting = e.submit(new SchedRequest("kill", 1, p, 100, 1), 20); // maxRunning 2: stays waiting
    for (int i = 0; i < 5; i++) e.step();
    assertEquals(SeqStatus.RUNNING, e.scheduler.status(running));
    assertEquals(SeqStatus.WAITING, e.scheduler.status(waiting));
    int free = e.scheduler.freeBlocks();
    List<FinishedSeq> aborted = e.scheduler.abort("kill");
    assertEquals(2, aborted.size());
    aborted.forEach(e::record);
    assertEquals(free + 4, e.scheduler.freeBlocks(), "15 tokens in 4 blocks, released at once");
    assertEquals(SeqStatus.FINISHED_ABORTED, e.finished.get(running).status());
    assertEquals(5, e.finished.get(running).outputTokenIds().length, "partial output is reported");
    assertEquals(0, e.finished.get(waiting).outputTokenIds().length);
    assertNull(e.scheduler.status(running));
    e.runToCompletion(100);
    assertEquals(SeqStatus.FINISHED_STOPPED, e.finished.get(keep).status());
    assertEquals(2, e.scheduler.stats().aborted());
    assertTrue(e.scheduler.abort("kill").isEmpty(), "nothing left to abort");
  }

  @Test
  void abortBetweenScheduleAndUpdateIsSafe() {
    Scheduler s = new Scheduler(SchedulerConfig.of(4, 64, 4, 16, 256));
    int a = s.add(new SchedRequest("a", 0, new int[] {1, 2, 3, 4, 5}, 10, 0));
    int b = s.add(new SchedRequest("b", 0, new int[] {6, 7, 8}, 10, 1));
    SchedulerOutput out = s.schedule();
    assertEquals(2, out.scheduled().size());
    assertEquals(1, s.abort("a").size());
    assertEquals(List.of(), s.update(out, Map.of(a, 11, b, 12)));
    assertArrayEquals(new int[] {12}, s.outputTokens(b));
    s.finish(b, SeqStatus.FINISHED_STOPPED);
    assertEquals(16, s.freeBlocks());
  }

  @Test
  void sequencesThatCanNeverFitAreAbortedWithAReason() {
    // The whole pool is 4 blocks of 8 = 32 tokens.
    FakeEngine e = new FakeEngine(SchedulerConfig.of(4, 64, 8, 4, 1000));
    int hugePrompt = e.submit(new SchedRequest("huge", 0, prompt(1, 40), 500, 0), 10);
    int grows = e.submit(new SchedRequest("grows", 0, prompt(2, 20), 500, 1), 100);
    int small = e.submit(new SchedRequest("small", 0, prompt(3, 5), 500, 2), 3);
    e.runToCompletion(200);

    FinishedSeq h = e.finished.get(hugePrompt);
    assertEquals(SeqStatus.FINISHED_ABORTED, h.status());
    assertTrue(h.reason().contains("needs 5 KV blocks") && h.reason().contains("whole pool has 4"), h.reason());

    // 20 + 13 tokens: computing position 32 would need a 5th block even with the pool to itself.
    FinishedSeq g = e.finished.get(grows);
    assertEquals(SeqStatus.FINISHED_ABORTED, g.status());
    assertEquals(13, g.outputTokenIds().length);
    assertTrue(g.reason().contains("whole pool"), g.reason());

    assertEquals(SeqStatus.FINISHED_STOPPED, e.finished.get(small).status());
    assertEquals(2, e.scheduler.stats().aborted());
  }
}
