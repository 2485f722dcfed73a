package io.tokenmill.engine.scheduler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Continuous-batching scheduler for one engine (one device), shaped like vLLM v1's: the engine loop calls
 * {@link #schedule()}, runs the returned batch on the model runner, samples, and calls
 * {@link #update}, which applies the token-level stops ({@link StopChecker}); text-level stops come back
 * through {@link #finish}. Ids and counts only: no tensors.
 *
 * <p>Every step mixes, within {@code maxTokensPerStep} tokens and {@code maxRunning} sequences: one
 * decode token per running sequence, the next chunk of partially prefilled ones, and new (or preempted)
 * sequences admitted from the waiting queue. There is no separate prefill/decode phase: a sequence simply
 * has {@code length - numComputed} uncomputed tokens, and gets as many as the budget allows.
 *
 * <p>Recompute rule: a preempted sequence loses its blocks and later re-enters as if its prompt were
 * prompt + output so far (its output is kept); prefix-cache hits usually make this cheap.
 *
 * <p>Not thread-safe, by design: one engine thread owns it. The bounded submission queue that Spark tasks
 * write into lives in the engine, which drains it into {@link #add} between steps.
 */
public final class Scheduler {

  private final SchedulerConfig config;
  private final KvBlockManager blocks;
  private final SchedulerStats stats;
  private final ArrayDeque<Sequence> waiting = new ArrayDeque<>(); // FIFO; preempted ones at the front
  private final List<Sequence> running = new ArrayList<>();        // sorted by priority, best first
  private final Map<Integer, Sequence> live = new HashMap<>();
  private int nextSeqId;
  private long step;
  private SchedulerOutput inFlight;

  public Scheduler(SchedulerConfig config) {
    this.config = config;
    this.blocks = new KvBlockManager(config.numBlocks(), config.blockSize());
    this.stats = new SchedulerStats(config.maxRunning());
  }

  /** Enqueues a sequence; returns its id, used in every output and call about it. */
  public int add(SchedRequest request) {
    Sequence s = new Sequence(nextSeqId++, request);
    live.put(s.id, s);
    waiting.addLast(s);
    return s.id;
  }

  /** Decides the next step. The previous non-empty output must have been passed to update() first. */
  public SchedulerOutput schedule() {
    if (inFlight != null) throw new IllegalStateException("update() the previous step before scheduling");
    blocks.beginStep();
    StepPlan st = new StepPlan(config.maxTokensPerStep());

    // 1. Running sequences, best priority first.
    int decodesBehind = countDecoding(0);
    for (int i = 0; i < running.size(); ) {
      Sequence s = running.get(i);
      boolean decoding = s.isDecoding();
      if (decoding) decodesBehind--;
      // NOTE: a prefill chunk never takes the budget of decodes queued behind it, so a long prompt can
      // slow decodes down by at most its chunk per step and never stalls them.
      int n = decoding ? 1 : Math.min(s.length() - s.numComputed, st.budget - decodesBehind);
      if (n <= 0 || n > st.budget) {
        i++;
        continue;
      }
      if (!allocateOrPreempt(s, s.numComputed + n, st)) {
        decodesBehind = countDecoding(i); // s left `running`; whoever is now at i is next
        continue;
      }
      if (!st.preempted.isEmpty()) decodesBehind = countDecoding(i + 1);
      plan(st, s, n);
      i++;
    }

    // 2. Waiting sequences, FIFO (preempted first).
    // NOTE: vLLM v1 likewise admits nothing in a step that had to preempt: memory is tight, and an
    // admission would only take blocks that the running sequences need next step.
    if (st.preempted.isEmpty()) admit(st);

    SchedulerOutput out = st.toOutput(++step, running.size());
    if (!out.isEmpty()) {
      stats.record(out);
      inFlight = out;
    }
    return out;
  }

  /**
   * Applies a step's results: marks the scheduled tokens computed (registering completed blocks in the
   * prefix cache) and appends the sampled token of every sequence with {@code producesToken}. Returns the
   * sequences this finished, as {@link StopChecker} decides: FINISHED_STOPPED (a stop token) or
   * FINISHED_LENGTH (maxNewTokens or maxModelLen reached). Entries of sequences finished or aborted since
   * schedule() are ignored, as are extra entries in {@code sampled}.
   *
   * @param forced sequences whose token was forced by the engine, not chosen by the model (never a stop)
   */
  public List<FinishedSeq> update(SchedulerOutput out, Map<Integer, Integer> sampled, Set<Integer> forced) {
    if (out.isEmpty() && inFlight == null) return List.of();
    if (out != inFlight) throw new IllegalStateException("update() takes the output of the last schedule()");
    for (ScheduledSeq e : out.scheduled()) { // validate before mutating anything
      if (e.producesToken() && current(e) != null && !sampled.containsKey(e.seqId())) {
        throw new IllegalArgumentException("no sampled token for seq " + e.seqId());
      }
    }
    inFlight = null;
    List<FinishedSeq> done = new ArrayList<>();
    for (ScheduledSeq e : out.scheduled()) {
      Sequence s = current(e);
      if (s == null) continue;
      s.numComputed = e.endPosition();
      blocks.commit(s.table, s::tokenAt, s.numComputed);
      if (!e.producesToken()) continue;
      int token = sampled.get(e.seqId());
      s.append(token);
      SeqStatus stop = StopChecker.check(s, token, forced.contains(e.seqId()), config.maxModelLen());
      if (stop != null) {
        running.remove(s);
        done.add(retire(s, stop, null));
      }
    }
    return done;
  }

  /** {@link #update(SchedulerOutput, Map, Set)} with no forced tokens. */
  public List<FinishedSeq> update(SchedulerOutput out, Map<Integer, Integer> sampled) {
    return update(out, sampled, Set.of());
  }

  /** Finishes a live sequence (stop token, stop string, abort...) and frees its blocks now; null if gone. */
  public FinishedSeq finish(int seqId, SeqStatus status) {
    return finish(seqId, status, null);
  }

  public FinishedSeq finish(int seqId, SeqStatus status, String reason) {
    if (!status.isFinished()) throw new IllegalArgumentException("not a finished status: " + status);
    Sequence s = live.get(seqId);
    if (s == null) return null;
    if (!running.remove(s)) waiting.remove(s);
    return retire(s, status, reason);
  }

  /** Cancels every live sample of a request (waiting or running), e.g. when its Spark task is killed. */
  public List<FinishedSeq> abort(String requestId) {
    List<Integer> ids = new ArrayList<>();
    for (Sequence s : live.values()) if (s.request.requestId().equals(requestId)) ids.add(s.id);
    Collections.sort(ids);
    List<FinishedSeq> out = new ArrayList<>(ids.size());
    for (int id : ids) out.add(finish(id, SeqStatus.FINISHED_ABORTED, "aborted by caller"));
    return out;
  }

  public SchedulerStats stats() {
    return stats;
  }

  public int numWaiting() {
    return waiting.size();
  }

  public int numRunning() {
    return running.size();
  }

  public boolean hasUnfinished() {
    return !live.isEmpty();
  }

  /** Status of a live sequence, or null once it has finished (its FinishedSeq was reported). */
  public SeqStatus status(int seqId) {
    Sequence s = live.get(seqId);
    return s == null ? null : s.status;
  }

  /** Tokens generated so far by a live sequence, or null once it has finished. */
  public int[] outputTokens(int seqId) {
    Sequence s = live.get(seqId);
    return s == null ? null : s.outputTokens();
  }

  public int freeBlocks() {
    return blocks.freeBlocks();
  }

  public double usage() {
    return blocks.usage();
  }

  /** The block manager, for inspection (tests, metrics); the scheduler is its only writer. */
  public KvBlockManager blockManager() {
    return blocks;
  }

  private void plan(StepPlan st, Sequence s, int n) {
    st.add(s, n);
    // NOTE: published so that a waiting sequence whose next block is being computed right now waits one
    // step and then hits it, instead of computing the same block a second time (n samples of a prompt).
    blocks.markPending(s.table, s::tokenAt, s.numComputed + n);
  }

  /**
   * Gets blocks for {@code s} to hold {@code tokensNeeded} positions, preempting the lowest-priority
   * running sequences until it fits. False if {@code s} itself was preempted or aborted.
   */
  private boolean allocateOrPreempt(Sequence s, int tokensNeeded, StepPlan st) {
    while (blocks.allocateFor(s.table, tokensNeeded) == null) {
      Sequence victim = running.get(running.size() - 1);
      if (victim == s && running.size() == 1) {
        // NOTE: alone, with every other block free or evictable, and still no room: it can never fit,
        // so waiting would hang the engine. Abort it with a reason instead.
        running.remove(s);
        String why = config.whyNeverFits(tokensNeeded);
        st.finished.add(retire(s, SeqStatus.FINISHED_ABORTED, why != null ? why : "no KV blocks"));
        return false;
      }
      // NOTE: the victim is the latest arrival; running is sorted, so it was not scheduled yet this step
      // (sequences before s already were, and are more important than s). If that is s itself, s yields.
      preempt(victim, st);
      if (victim == s) return false;
    }
    return true;
  }

  private void preempt(Sequence s, StepPlan st) {
    running.remove(s);
    // NOTE: full blocks stay registered in the prefix cache after free, so if nobody evicts them in the
    // meantime, the recompute on re-admission is mostly cache hits.
    blocks.free(s.table);
    s.numComputed = 0;
    s.status = SeqStatus.PREEMPTED;
    // NOTE: to the FRONT: it was admitted before everything still waiting, and must not starve.
    waiting.addFirst(s);
    st.preempted.add(s.id);
    stats.preemptions++;
  }

  private void admit(StepPlan st) {
    for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
      if (running.size() >= config.maxRunning() || st.budget <= 0) return;
      Sequence s = it.next();
      String impossible = config.whyNeverFits(s.length());
      if (impossible != null) {
        it.remove();
        st.finished.add(retire(s, SeqStatus.FINISHED_ABORTED, impossible));
        continue;
      }
      int[] tokens = s.allTokens();
      // NOTE: all but the last token, so a fully cached sequence still computes one token and gets logits;
      // that token lands in a fresh private block because only full blocks are ever shared.
      CachedPrefix hit = blocks.findCachedPrefix(tokens, tokens.length - 1);
      if (hit.nextBlockPending()) {
        blocks.release(hit); // NOTE: skip, not stop: later requests with other prompts may still go
        continue;
      }
      int want = s.length() - hit.numTokens();
      int n = Math.min(want, st.budget);
      if (n < want && !config.chunkedPrefill()) {
        blocks.release(hit);
        return;
      }
      blocks.adopt(s.table, hit);
      // NOTE: waiting sequences never preempt running ones; if the pool is full they wait (FIFO, so a
      // big request at the head is not overtaken forever by small ones).
      if (blocks.allocateFor(s.table, hit.numTokens() + n) == null) {
        blocks.free(s.table);
        return;
      }
      it.remove();
      s.status = SeqStatus.RUNNING;
      s.numComputed = hit.numTokens();
      stats.cachedPrefixTokens += hit.numTokens();
      insertRunning(s);
      plan(st, s, n);
    }
  }

  private FinishedSeq retire(Sequence s, SeqStatus status, String reason) {
    blocks.free(s.table);
    s.status = status;
    live.remove(s.id);
    if (status == SeqStatus.FINISHED_ABORTED) stats.aborted++;
    return s.toFinished(reason);
  }

  /** The live, running sequence an output entry refers to, if it is still in the state it was scheduled. */
  private Sequence current(ScheduledSeq e) {
    Sequence s = live.get(e.seqId());
    return s != null && s.status == SeqStatus.RUNNING && s.numComputed == e.start() ? s : null;
  }

  private void insertRunning(Sequence s) {
    int at = Collections.binarySearch(running, s, Sequence::byPriority);
    running.add(at < 0 ? -at - 1 : at, s);
  }

  private int countDecoding(int from) {
    int n = 0;
    for (int i = from; i < running.size(); i++) if (running.get(i).isDecoding()) n++;
    return n;
  }
}
