package io.tokenmill.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The engine loop of the tests, with a fake model runner instead of a model. The runner simulates the
 * paged KV cache: every slot (block, offset) holds a hash of the whole token prefix ending at that
 * position, so reading a slot checks that block tables, prefix-cache hits and recomputation put exactly
 * the right context in the right place. Writes are checked to go to blocks the sequence owns alone.
 * "Sampling" is a pure function of (request id, sample index, output index), and a sequence stops (like
 * an EOS) when its output reaches its target length, so any correct schedule yields the same outputs.
 */
final class FakeEngine {

  final Scheduler scheduler;
  final SchedulerConfig config;
  private final long[] kv;
  private final Map<Integer, List<Integer>> tokens = new HashMap<>(); // runner's view: prompt + output
  private final Map<Integer, SchedRequest> requests = new HashMap<>();
  private final Map<Integer, Integer> targets = new HashMap<>();
  final Map<Integer, FinishedSeq> finished = new LinkedHashMap<>();
  final List<SchedulerOutput> outputs = new ArrayList<>();
  final List<Integer> waitingBeforeStep = new ArrayList<>();

  FakeEngine(SchedulerConfig config) {
    this.config = config;
    this.scheduler = new Scheduler(config);
    this.kv = new long[config.numBlocks() * config.blockSize()];
  }

  /** Submits a request that stops (EOS) after {@code targetOutput} tokens. */
  int submit(SchedRequest r, int targetOutput) {
    int id = scheduler.add(r);
    requests.put(id, r);
    List<Integer> t = new ArrayList<>();
    for (int x : r.promptTokenIds()) t.add(x);
    tokens.put(id, t);
    targets.put(id, targetOutput);
    return id;
  }

  static int sample(String requestId, int sampleIndex, int outputIndex) {
    long h = KvBlockManager.chainHash(requestId.hashCode(), new int[] {sampleIndex, outputIndex});
    return (int) Math.floorMod(h, 1000L);
  }

  /** One engine iteration: schedule, run (with checks), sample, update, stop finished ones. */
  SchedulerOutput step() {
    waitingBeforeStep.add(scheduler.numWaiting());
    SchedulerOutput out = scheduler.schedule();
    outputs.add(out);
    checkShape(out);
    for (FinishedSeq f : out.finished()) record(f);
    Map<Integer, Integer> sampled = new HashMap<>();
    Set<Integer> writtenBlocks = new HashSet<>();
    for (ScheduledSeq e : out.scheduled()) {
      Integer tok = run(e, writtenBlocks);
      if (tok != null) sampled.put(e.seqId(), tok);
    }
    for (FinishedSeq f : scheduler.update(out, sampled)) record(f);
    for (Map.Entry<Integer, Integer> s : sampled.entrySet()) {
      int id = s.getKey();
      tokens.get(id).add(s.getValue());
      int produced = tokens.get(id).size() - requests.get(id).promptLength();
      if (!finished.containsKey(id) && produced >= targets.get(id)) {
        record(scheduler.finish(id, SeqStatus.FINISHED_STOPPED));
      }
    }
    return out;
  }

  /** Steps until nothing is left; fails instead of hanging. Returns the number of steps. */
  int runToCompletion(int maxSteps) {
    int steps = 0;
    while (scheduler.hasUnfinished()) {
      if (++steps > maxSteps) fail("not finished after " + maxSteps + " steps: " + scheduler.stats());
      step();
    }
    assertEquals(config.numBlocks(), scheduler.freeBlocks(), "leaked KV blocks");
    return steps;
  }

  /** Outputs by "requestId#sample", for comparing runs. */
  Map<String, List<Integer>> results() {
    Map<String, List<Integer>> r = new HashMap<>();
    for (FinishedSeq f : finished.values()) {
      List<Integer> out = new ArrayList<>();
      for (int t : f.outputTokenIds()) out.add(t);
      r.put(f.request().requestId() + "#" + f.request().sampleIndex(), out);
    }
    return r;
  }

  void record(FinishedSeq f) {
    assertTrue(f.status().isFinished());
    assertFalse(finished.containsKey(f.seqId()), "seq " + f.seqId() + " reported finished twice");
    finished.put(f.seqId(), f);
  }

  private void checkShape(SchedulerOutput out) {
    int total = 0;
    Set<Integer> ids = new HashSet<>();
    for (ScheduledSeq e : out.scheduled()) {
      total += e.numNewTokens();
      assertTrue(e.numNewTokens() > 0);
      assertTrue(ids.add(e.seqId()), "seq scheduled twice in one step");
    }
    assertEquals(out.totalTokens(), total);
    assertTrue(total <= config.maxTokensPerStep(), "token budget exceeded: " + total);
    assertTrue(out.scheduled().size() <= config.maxRunning(), "batch too large");
    assertTrue(out.numRunning() <= config.maxRunning());
  }

  /** The fake forward of one sequence: checks its context, writes its K/V, returns a token if due. */
  private Integer run(ScheduledSeq e, Set<Integer> writtenBlocks) {
    int bs = config.blockSize();
    List<Integer> t = tokens.get(e.seqId());
    long[] prefix = prefixHashes(t);
    int[] table = e.blockTable();
    assertEquals(table.length, Arrays.stream(table).distinct().count(), "block twice in one table");
    assertTrue(e.endPosition() <= table.length * bs, "block table too short");
    int[] expectNew = t.subList(e.start(), e.endPosition()).stream().mapToInt(Integer::intValue).toArray();
    assertArrayEquals(expectNew, e.newTokenIds(), "wrong new tokens for seq " + e.seqId());
    assertEquals(e.endPosition() == t.size(), e.producesToken(), "producesToken");
    for (int p = 0; p < e.start(); p++) {
      assertEquals(prefix[p], kv[table[p / bs] * bs + p % bs], "stale or foreign KV at position " + p
          + " of seq " + e.seqId());
    }
    KvBlockManager blocks = scheduler.blockManager();
    for (int p = e.start(); p < e.endPosition(); p++) {
      int block = table[p / bs];
      assertEquals(1, blocks.refCount(block), "write into a shared block " + block);
      if (p == e.start() || p % bs == 0) {
        assertTrue(writtenBlocks.add(block), "two sequences write block " + block + " in one step");
      }
      kv[block * bs + p % bs] = prefix[p];
    }
    if (!e.producesToken()) return null;
    SchedRequest r = requests.get(e.seqId());
    return sample(r.requestId(), r.sampleIndex(), t.size() - r.promptLength());
  }

  private static long[] prefixHashes(List<Integer> t) {
    long[] h = new long[t.size()];
    long acc = 17;
    for (int p = 0; p < h.length; p++) {
      acc = KvBlockManager.chainHash(acc, new int[] {t.get(p)});
      h[p] = acc;
    }
    for (long x : h) assertNotEquals(0L, x);
    return h;
  }

  /** A prompt of {@code n} deterministic tokens derived from {@code seed}. */
  static int[] prompt(int seed, int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = (int) Math.floorMod(KvBlockManager.chainHash(seed, new int[] {i}), 1000L);
    return p;
  }

  static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
