package io.tokenmill.engine.scheduler;

import static io.tokenmill.engine.scheduler.FakeEngine.concat;
import static io.tokenmill.engine.scheduler.FakeEngine.prompt;
import static io.tokenmill.engine.scheduler.SchedulerBatchingTest.find;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrefixSharingTest {

  private static final int BS = 16;

  private static FakeEngine engine() {
    return new FakeEngine(SchedulerConfig.of(8, 256, BS, 256, 1024));
  }

  @Test
  void commonSystemPromptIsComputedOnce() {
    FakeEngine e = engine();
    int[] system = prompt(42, 2 * BS);
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(e.submit(new SchedRequest("r" + i, 0, concat(system, prompt(i, 5)), 100, i), 6));
    }
    SchedulerOutput first = e.step();
    // r1..r3 would compute the very blocks r0 computes in this step: they wait one step and hit them.
    assertEquals(1, first.scheduled().size());
    SchedulerOutput second = e.step();
    int[] shared = find(second, ids.get(0)).blockTable();
    for (int id : ids.subList(1, 4)) {
      ScheduledSeq s = find(second, id);
      assertEquals(2 * BS, s.start(), "the system prompt's two blocks were hits");
      assertEquals(5, s.numNewTokens());
      assertEquals(shared[0], s.blockTable()[0]);
      assertEquals(shared[1], s.blockTable()[1]);
      assertNotEquals(shared[2], s.blockTable()[2], "the partial tail block is private");
    }
    assertEquals(4, e.scheduler.blockManager().refCount(shared[0]));
    e.runToCompletion(100);
    SchedulerStats st = e.scheduler.stats();
    assertEquals(3 * 2 * BS, st.cachedPrefixTokens());
    assertEquals(37 + 3 * 5, st.prefillTokens());
  }

  @Test
  void unrelatedRequestsAreNotHeldBackByAWaitingSibling() {
    FakeEngine e = engine();
    int[] p = prompt(1, 40);
    e.submit(new SchedRequest("a", 0, p, 100, 0), 3);
    e.submit(new SchedRequest("a", 1, p, 100, 0), 3);
    int other = e.submit(new SchedRequest("b", 0, prompt(2, 40), 100, 1), 3);
    SchedulerOutput first = e.step();
    assertEquals(2, first.scheduled().size());
    find(first, other);
    e.runToCompletion(50);
  }

  @Test
  void nSamplesShareThePromptBlocks() {
    FakeEngine e = engine();
    int[] p = prompt(5, 40); // 2 full blocks + 8 tokens
    List<Integer> ids = new ArrayList<>();
    for (SchedRequest r : SchedRequest.samples("q", 4, p, 100, 0)) ids.add(e.submit(r, 10));
    e.step();
    SchedulerOutput second = e.step();
    int[] table0 = find(second, ids.get(0)).blockTable();
    for (int id : ids.subList(1, 4)) {
      assertEquals(table0[0], find(second, id).blockTable()[0]);
      assertEquals(table0[1], find(second, id).blockTable()[1]);
    }
    e.runToCompletion(100);
    assertEquals(40 + 3 * 8, e.scheduler.stats().prefillTokens());
    assertEquals(3 * 32, e.scheduler.stats().cachedPrefixTokens());
    List<List<Integer>> outs = new ArrayList<>(e.results().values());
    assertEquals(4, outs.size());
    assertEquals(4, outs.stream().distinct().count(), "samples differ: the sampler sees the sample index");
  }

  @Test
  void blockAlignedPromptRecomputesItsLastBlock() {
    FakeEngine e = engine();
    int[] p = prompt(6, 2 * BS);
    for (SchedRequest r : SchedRequest.samples("q", 4, p, 100, 0)) e.submit(r, 4);
    e.runToCompletion(100);
    // The last token must be computed to get logits, and it may only be written to a private block,
    // so each later sample hits the first block and recomputes the second.
    assertEquals(3 * BS, e.scheduler.stats().cachedPrefixTokens());
    assertEquals(2 * BS + 3 * BS, e.scheduler.stats().prefillTokens());
  }

  @Test
  void cachedBlocksOutliveTheSequenceThatComputedThem() {
    FakeEngine e = engine();
    int[] p = prompt(7, 50);
    e.submit(new SchedRequest("first", 0, p, 100, 0), 20);
    e.runToCompletion(100);
    assertTrue(e.scheduler.blockManager().cachedBlocks() >= 3, "prompt and output blocks registered");
    // Continue the conversation: the old prompt + its answer is the new prompt's prefix.
    int[] answer = e.finished.values().iterator().next().outputTokenIds();
    int[] next = concat(concat(p, answer), prompt(8, 10));
    e.submit(new SchedRequest("second", 0, next, 100, 1), 5);
    e.runToCompletion(100);
    assertEquals(64, e.scheduler.stats().cachedPrefixTokens(), "70 old tokens = 4 full blocks (64)");
  }
}
