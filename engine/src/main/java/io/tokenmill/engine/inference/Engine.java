package io.tokenmill.engine.inference;

import io.tokenmill.engine.reasoning.Decision;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.reasoning.ReasoningParser;
import io.tokenmill.engine.reasoning.ReasoningResult;
import io.tokenmill.engine.reasoning.ThinkingController;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.runtime.StepBatch;
import io.tokenmill.engine.runtime.StepResult;
import io.tokenmill.engine.sampling.DeviceSampler;
import io.tokenmill.engine.sampling.SampleRandom;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.sampling.SampledToken;
import io.tokenmill.engine.sampling.StopStringMatcher;
import io.tokenmill.engine.sampling.TokenCounts;
import io.tokenmill.engine.scheduler.FinishedSeq;
import io.tokenmill.engine.scheduler.SchedRequest;
import io.tokenmill.engine.scheduler.ScheduledSeq;
import io.tokenmill.engine.scheduler.Scheduler;
import io.tokenmill.engine.scheduler.SchedulerConfig;
import io.tokenmill.engine.scheduler.SchedulerOutput;
import io.tokenmill.engine.scheduler.SeqStatus;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.tokenizer.StreamDecoder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One model on one device serving many callers with continuous batching. A single stepping thread runs
 * the vLLM-v1 spine — {@code schedule → forward → sample → update} — so every step decodes one token for
 * each running sequence, admits waiting ones into free KV blocks (chunked prefill within the step's
 * token budget) and retires finished ones at once. {@link #submit} is thread-safe and blocks while the
 * bounded queue is full (backpressure); results stream to each request's listener as samples finish.
 *
 * <p>Sampling is deterministic per (seed, request id, sample, token index), so a request's tokens do not
 * depend on what else is in the batch, on preemption (recompute replays the same draws) or on retries.
 * Tokens the thinking budget forces are fed through the model one per step like sampled ones.
 */
public final class Engine implements AutoCloseable {

  private final DecoderModel model;
  private final ModelTokenizer tokenizer;
  private final EngineConfig config;
  private final KvCache cache;
  private final Scheduler scheduler;
  private final ReasoningFormat format;
  private final int[] eosIds;
  private final int[] afterThinkIds;
  private final ArrayBlockingQueue<RequestHandle> submissions;
  private final ConcurrentLinkedQueue<RequestHandle> cancellations = new ConcurrentLinkedQueue<>();
  private final Map<Integer, Seq> seqs = new HashMap<>();
  private final Map<String, RequestHandle> inFlight = new HashMap<>();
  private final DeviceSampler sampler;
  private final Thread thread;
  private volatile boolean running = true;
  /** Tests only: when set and true for a step's batch, that forward throws (proves failure recovery). */
  volatile java.util.function.Predicate<StepBatch> injectForwardFailure;
  private long arrivals;
  private long finishedSamples;
  private long outputTokens;
  private long forwardNanos;

  /** Per-sample state the engine keeps beside the scheduler's ids and counts. */
  private static final class Seq {
    final RequestHandle handle;
    final int sample;
    final TokenCounts counts;
    final ThinkingController thinking;
    final ArrayDeque<Integer> forced = new ArrayDeque<>();
    final StopStringMatcher stops;
    final StreamDecoder decoder;
    final List<SampledToken> logprobs; // aligned with the output tokens when requested
    final int transitionLength; // tokens of the transition text a thinking budget forces before </think>
    int forcedEmitted; // forced tokens (transition, </think>, after-think) that became output
    boolean stopped;
    String stopText;
    long firstScheduledNanos = -1;
    long firstTokenNanos = -1;

    Seq(RequestHandle handle, int sample, ThinkingController thinking, int transitionLength, StopStringMatcher stops,
        StreamDecoder decoder) {
      this.handle = handle;
      this.sample = sample;
      this.counts = new TokenCounts(handle.request().promptIds());
      this.thinking = thinking;
      this.transitionLength = transitionLength;
      this.stops = stops;
      this.decoder = decoder;
      this.logprobs = handle.request().params().logprobs() != null ? new ArrayList<>() : null;
    }
  }

  private Engine(DecoderModel model, ModelTokenizer tokenizer, ReasoningFormat format, int[] eosIds,
      EngineConfig config) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.config = config;
    this.format = format;
    this.eosIds = eosIds.clone();
    this.afterThinkIds = tokenizer == null ? new int[0] : tokenizer.encode("\n\n");
    int numBlocks = config.numBlocks(KvCache.bytesPerToken(model.config(), model.device()));
    this.cache = model.newKvCache(numBlocks, config.blockSize(), config.maxSeqLen());
    this.scheduler = new Scheduler(new SchedulerConfig(config.maxBatch(), config.maxTokensPerStep(),
        config.blockSize(), numBlocks, true, config.maxSeqLen()));
    this.submissions = new ArrayBlockingQueue<>(config.queueCapacity());
    this.sampler = new DeviceSampler(model.device().isGpu());
    this.thread = new Thread(this::loop, "tokenmill-engine-" + model.device());
    this.thread.setDaemon(true);
  }

  /**
   * Starts an engine. {@code tokenizer} may be null (token ids only: no stop strings, no text);
   * {@code eosIds} end a sample unless its params say {@code ignoreEos}.
   */
  public static Engine start(DecoderModel model, ModelTokenizer tokenizer, ReasoningFormat format, int[] eosIds,
      EngineConfig config) {
    Engine e = new Engine(model, tokenizer, format, eosIds, config);
    e.thread.start();
    return e;
  }

  /** KV blocks of {@link EngineConfig#blockSize()} tokens this engine holds. */
  public int kvBlocks() {
    return cache.numBlocks();
  }

  /** How many sequences of {@code tokens} tokens fit in this engine's KV memory at once. */
  public int sequencesThatFit(int tokens) {
    return Math.min(config.maxBatch(), io.tokenmill.engine.scheduler.KvBlockManager.sequencesThatFit(
        cache.numBlocks(), config.blockSize(), tokens));
  }

  /** Queues a request (blocking while the queue is full); samples stream to {@code listener}. */
  public RequestHandle submit(GenerationRequest request, Consumer<GenerationResult> listener)
      throws InterruptedException {
    if (!running) throw new IllegalStateException("engine is closed");
    RequestHandle h = new RequestHandle(request, listener, cancellations::add);
    while (!submissions.offer(h, 100, TimeUnit.MILLISECONDS)) {
      if (!running) throw new IllegalStateException("engine is closed");
    }
    if (!running && submissions.remove(h)) {
      throw new IllegalStateException("engine is closed"); // closed while we queued: nobody would serve it
    }
    return h;
  }

  public RequestHandle submit(GenerationRequest request) throws InterruptedException {
    return submit(request, null);
  }

  public synchronized EngineMetrics metrics() {
    var s = scheduler.stats();
    return new EngineMetrics(s.steps(), s.meanOccupancy(), s.prefillTokens(), s.decodeTokens(),
        s.cachedPrefixTokens(), s.preemptions(), finishedSamples, outputTokens, forwardNanos / 1e9);
  }

  private void loop() {
    while (running) {
      try {
        synchronized (this) {
          admitSubmissions();
          applyCancellations();
        }
        if (!hasWork()) {
          RequestHandle h = submissions.poll(50, TimeUnit.MILLISECONDS);
          if (h != null) synchronized (this) { admit(h); }
          continue;
        }
        synchronized (this) {
          step();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        synchronized (this) {
          failAll("engine step failed: " + e);
        }
      } catch (Error e) {
        // Out of memory or worse: nothing after this can be trusted. Stop taking work, fail everything.
        running = false;
        synchronized (this) {
          failAll("engine stopped: " + e);
        }
        throw e;
      }
    }
    synchronized (this) {
      failAll("engine closed");
    }
  }

  private boolean hasWork() {
    synchronized (this) {
      return scheduler.hasUnfinished();
    }
  }

  private void admitSubmissions() {
    RequestHandle h;
    while ((h = submissions.poll()) != null) admit(h);
  }

  private void admit(RequestHandle h) {
    GenerationRequest r = h.request();
    int n = r.params().n();
    String problem = validate(r);
    if (problem == null && inFlight.containsKey(r.id())) problem = "duplicate request id '" + r.id() + "' in flight";
    List<Seq> states = new ArrayList<>();
    if (problem == null) {
      try {
        for (int s = 0; s < n; s++) states.add(newSeq(h, s));
      } catch (RuntimeException e) {
        problem = String.valueOf(e.getMessage()); // e.g. a thinking budget on a tokenizer without </think>
      }
    }
    if (problem != null) {
      for (int s = 0; s < n; s++) {
        h.deliver(GenerationResult.failed(r.id(), s, r.promptIds().length, FinishReason.ERROR, problem, 0));
      }
      return;
    }
    inFlight.put(r.id(), h);
    int[] prompt = r.promptIds();
    int maxNew = Math.min(r.params().maxNewTokens(), config.maxSeqLen() - prompt.length);
    long arrival = arrivals++;
    for (int s = 0; s < n; s++) {
      int id = scheduler.add(new SchedRequest(r.id(), s, prompt, maxNew, arrival));
      seqs.put(id, states.get(s));
    }
  }

  private String validate(GenerationRequest r) {
    int[] p = r.promptIds();
    if (p.length + 1 > config.maxSeqLen()) {
      return "prompt of " + p.length + " tokens leaves no room to generate within max_seq_len " + config.maxSeqLen();
    }
    for (int id : p) {
      if (id < 0 || id >= model.config().vocabSize()) return "prompt token id " + id + " outside the vocabulary";
    }
    return null;
  }

  private Seq newSeq(RequestHandle h, int sample) {
    GenerationRequest r = h.request();
    ReasoningFormat f = format.effective(r.reasoning().enableThinking());
    ThinkingController thinking = null;
    int[] transition = new int[0];
    if (tokenizer != null) {
      transition = r.reasoning().transitionText().isEmpty() ? new int[0]
          : tokenizer.encode(r.reasoning().transitionText());
      thinking = new ThinkingController(f, tokenizer.thinkStartId(), tokenizer.thinkEndId(),
          f.startsInsideThink(r.reasoning().enableThinking()), r.reasoning().thinkingBudget(),
          r.reasoning().answerBudget(), transition, afterThinkIds);
    }
    boolean needText = tokenizer != null && !r.params().stopStrings().isEmpty();
    return new Seq(h, sample, thinking, transition.length, needText ? new StopStringMatcher(r.params().stopStrings()) : null,
        needText ? new StreamDecoder(tokenizer, true) : null);
  }

  private void applyCancellations() {
    RequestHandle h;
    while ((h = cancellations.poll()) != null) {
      if (inFlight.get(h.request().id()) != h) continue;
      for (FinishedSeq f : scheduler.abort(h.request().id())) complete(f, FinishReason.ABORTED, "cancelled");
    }
  }

  private void step() {
    SchedulerOutput out = scheduler.schedule();
    for (FinishedSeq f : out.finished()) complete(f, FinishReason.ERROR, f.reason());
    List<ScheduledSeq> sched = out.scheduled();
    if (sched.isEmpty()) return;
    int b = sched.size();
    int[][] tables = new int[b][];
    int[] starts = new int[b];
    int[][] tokens = new int[b][];
    long now = System.nanoTime();
    for (int i = 0; i < b; i++) {
      ScheduledSeq s = sched.get(i);
      tables[i] = s.blockTable();
      starts[i] = s.start();
      tokens[i] = s.newTokenIds();
      Seq seq = seqs.get(s.seqId());
      if (seq != null && seq.firstScheduledNanos < 0) seq.firstScheduledNanos = now;
    }
    Map<Integer, Integer> sampled = new HashMap<>();
    Map<Integer, Boolean> wasForced = new HashMap<>();
    Map<Integer, String> rowErrors = new HashMap<>();
    long t0 = System.nanoTime();
    try {
      forwardAndSample(sched, new StepBatch(tables, starts, tokens), sampled, wasForced, rowErrors);
    } catch (RuntimeException e) {
      // NOTE: a failed forward (bad input that slipped through, device error) fails the requests in this
      // step only; the scheduler is told nothing was sampled so it stays consistent for everyone else.
      // Retire the step's sequences first: update() then expects no token from them and commits none of
      // their blocks to the prefix cache (their K/V were never written).
      forwardNanos += System.nanoTime() - t0;
      List<FinishedSeq> failed = new ArrayList<>();
      for (ScheduledSeq s : sched) {
        FinishedSeq f = scheduler.finish(s.seqId(), SeqStatus.FINISHED_ABORTED, "forward failed: " + e);
        if (f != null) failed.add(f);
      }
      scheduler.update(out, Map.of());
      for (FinishedSeq f : failed) complete(f, FinishReason.ERROR, "forward failed: " + e);
      return;
    }
    forwardNanos += System.nanoTime() - t0;
    // Rows whose logits were not finite end with an error; the rest of the batch carries on. Retired
    // before update(), like a failed step's, so update() expects no token from them.
    List<FinishedSeq> failedRows = new ArrayList<>();
    for (Map.Entry<Integer, String> e : rowErrors.entrySet()) {
      FinishedSeq f = scheduler.finish(e.getKey(), SeqStatus.FINISHED_ABORTED, e.getValue());
      if (f != null) failedRows.add(f);
    }
    List<FinishedSeq> byLength = scheduler.update(out, sampled);
    for (FinishedSeq f : failedRows) complete(f, FinishReason.ERROR, rowErrors.get(f.seqId()));
    long tokenTime = System.nanoTime();
    for (Map.Entry<Integer, Integer> e : sampled.entrySet()) {
      Seq seq = seqs.get(e.getKey());
      if (seq == null) continue;
      if (seq.firstTokenNanos < 0) seq.firstTokenNanos = tokenTime;
      boolean stop = accept(seq, e.getValue(), wasForced.containsKey(e.getKey()));
      if (stop && scheduler.status(e.getKey()) != null && !scheduler.status(e.getKey()).isFinished()) {
        FinishedSeq f = scheduler.finish(e.getKey(), SeqStatus.FINISHED_STOPPED);
        if (f != null) complete(f, null, null);
      }
    }
    for (FinishedSeq f : byLength) complete(f, null, null);
  }

  /**
   * One forward call; picks each producing sample's next token (forced ones first, else sampled). A row
   * whose logits hold NaN or +Infinity (or only -Infinity) gets no token but an entry in {@code rowErrors},
   * on the greedy path as on the sampling path.
   */
  private void forwardAndSample(List<ScheduledSeq> sched, StepBatch batch, Map<Integer, Integer> sampled,
      Map<Integer, Boolean> wasForced, Map<Integer, String> rowErrors) {
    java.util.function.Predicate<StepBatch> fault = injectForwardFailure;
    if (fault != null && fault.test(batch)) throw new IllegalStateException("injected forward failure");
    try (StepResult r = model.forward(cache, batch)) {
      StepResult.Greedy greedy = null;
      List<DeviceSampler.Row> rows = new ArrayList<>();
      List<Integer> rowSeqIds = new ArrayList<>();
      for (int i = 0; i < sched.size(); i++) {
        ScheduledSeq s = sched.get(i);
        Seq seq = seqs.get(s.seqId());
        if (!s.producesToken() || seq == null) continue;
        if (!seq.forced.isEmpty()) {
          int forcedToken = seq.forced.poll();
          sampled.put(s.seqId(), forcedToken);
          wasForced.put(s.seqId(), true);
          if (seq.logprobs != null) seq.logprobs.add(SampledToken.of(forcedToken)); // not sampled: NaN logprob
          continue;
        }
        GenerationRequest req = seq.handle.request();
        var params = req.params();
        int[] banned = seq.counts.outputLength() < params.minTokens() ? endIds(params) : null;
        if (params.isGreedy() && !params.hasPenalties() && params.logprobs() == null && banned == null) {
          // Plain greedy: one device argmax for the whole batch.
          if (greedy == null) greedy = r.greedy();
          if (greedy.problems()[i] != null) {
            rowErrors.put(s.seqId(), greedy.problems()[i]);
          } else {
            sampled.put(s.seqId(), greedy.ids()[i]);
          }
          continue;
        }
        double u = SampleRandom.uniform(params.seed(), req.id(), seq.sample, seq.counts.outputLength());
        rows.add(new DeviceSampler.Row(i, params, seq.counts, u, banned));
        rowSeqIds.add(s.seqId());
      }
      // Everything else is sampled on the device in one batch: only ids (and asked-for logprobs) come back.
      DeviceSampler.Outcome[] outcomes = sampler.sample(r.logits(), rows);
      for (int j = 0; j < outcomes.length; j++) {
        int seqId = rowSeqIds.get(j);
        DeviceSampler.Outcome o = outcomes[j];
        if (o.problem() != null) { // NaN, +Infinity or all -Infinity in this row
          rowErrors.put(seqId, o.problem());
          continue;
        }
        Seq seq = seqs.get(seqId);
        if (seq.logprobs != null) seq.logprobs.add(o.token());
        sampled.put(seqId, o.token().tokenId());
      }
    }
  }

  /** The ids that end a sample of these params (EOS unless ignored, stop token ids): banned before min_tokens. */
  private int[] endIds(SamplingParams p) {
    int[] stops = p.stopTokenIds();
    int[] eos = p.ignoreEos() ? new int[0] : eosIds;
    int[] all = Arrays.copyOf(eos, eos.length + stops.length);
    System.arraycopy(stops, 0, all, eos.length, stops.length);
    return all;
  }

  /** Applies one new token to a sample's state; true when the sample must stop now. */
  private boolean accept(Seq seq, int token, boolean forced) {
    var p = seq.handle.request().params();
    seq.counts.add(token);
    if (forced) seq.forcedEmitted++;
    if (!forced) {
      boolean eos = !p.ignoreEos() && contains(eosIds, token);
      if (eos || contains(p.stopTokenIds(), token)) {
        seq.stopped = true;
        return true;
      }
      if (seq.thinking != null) {
        Decision d = seq.thinking.onToken(token);
        if (d.kind() == Decision.Kind.FORCE) {
          for (int t : d.forcedTokens()) seq.forced.add(t);
        } else if (d.kind() == Decision.Kind.STOP) {
          return true; // the answer budget is spent: a length-type stop, not an end of sequence
        }
      }
    }
    if (seq.stops != null) {
      StopStringMatcher.Result m = seq.stops.append(seq.decoder.accept(token));
      if (m.stopped()) {
        seq.stopped = true;
        seq.stopText = m.finalText();
        return true;
      }
    }
    return false;
  }

  private void complete(FinishedSeq f, FinishReason forcedReason, String error) {
    Seq seq = seqs.remove(f.seqId());
    if (seq == null) return;
    GenerationRequest r = seq.handle.request();
    long now = System.nanoTime();
    long latency = (now - seq.handle.submittedNanos) / 1_000_000;
    long queue = seq.firstScheduledNanos < 0 ? latency : (seq.firstScheduledNanos - seq.handle.submittedNanos) / 1_000_000;
    long ttft = seq.firstTokenNanos < 0 ? -1 : (seq.firstTokenNanos - seq.handle.submittedNanos) / 1_000_000;
    int[] out = f.outputTokenIds();
    GenerationResult result;
    if (forcedReason != null) {
      result = new GenerationResult(r.id(), seq.sample, r.promptIds().length, out, null, null, null, 0, 0, 0,
          forcedReason, error, null, queue, ttft, latency);
    } else {
      boolean stopped = seq.stopped;
      boolean hitLength = !stopped;
      int visible = out.length;
      int lastId = visible > 0 ? out[visible - 1] : -1;
      if (stopped && seq.stopText == null
          && ((!r.params().ignoreEos() && contains(eosIds, lastId)) || contains(r.params().stopTokenIds(), lastId))) {
        visible--;
      }
      int[] shown = Arrays.copyOf(out, visible);
      String text = null;
      String reasoning = null;
      String answer = null;
      int reasoningTokens = 0;
      int answerTokens = visible;
      int transitionTokens = 0;
      FinishReason reason = FinishReason.resolve(stopped, hitLength, seq.thinking != null && seq.thinking.budgetForced());
      if (tokenizer != null) {
        text = seq.stopText != null ? seq.stopText : tokenizer.decode(shown, true);
        ReasoningFormat fmt = format.effective(r.reasoning().enableThinking());
        var parsed = ReasoningParser.parse(text, fmt, r.reasoning().enableThinking(),
            fmt.startsInsideThink(r.reasoning().enableThinking()));
        ReasoningResult rr = ReasoningResult.of(parsed, seq.thinking, stopped, hitLength);
        if (!seq.forced.isEmpty()) {
          // max_new_tokens cut a forced run short: the controller counted tokens never emitted. They are
          // the tail of transition + </think> + after-think, so take them off the answer part first.
          int pending = seq.forced.size();
          int fromAnswer = Math.min(pending, afterThinkIds.length);
          rr = ReasoningResult.of(parsed, rr.reasoningTokens() - (pending - fromAnswer),
              rr.answerTokens() - fromAnswer, seq.thinking.budgetForced(), stopped, hitLength);
        }
        reasoning = rr.reasoning();
        answer = rr.answer();
        // The controller counts forced tokens with the part they belong to (transition + </think> as reasoning,
        // the after-think tokens as answer); the result reports them apart, so reasoning_tokens never exceeds
        // the thinking budget and both counts are what the model sampled.
        int forcedInReasoning = Math.min(seq.forcedEmitted, seq.transitionLength + 1);
        reasoningTokens = rr.reasoningTokens() - forcedInReasoning;
        answerTokens = rr.answerTokens() - (seq.forcedEmitted - forcedInReasoning);
        transitionTokens = seq.forcedEmitted;
        reason = rr.finishReason();
      }
      List<SampledToken> lp = seq.logprobs == null ? null : List.copyOf(seq.logprobs);
      result = new GenerationResult(r.id(), seq.sample, r.promptIds().length, out, text, reasoning, answer,
          reasoningTokens, answerTokens, transitionTokens, reason, null, lp, queue, ttft, latency);
      finishedSamples++;
      outputTokens += out.length;
    }
    seq.handle.deliver(result);
    releaseIfDone(seq.handle);
  }

  /** Forgets a request once all its samples were delivered (and only if the id still maps to it). */
  private void releaseIfDone(RequestHandle h) {
    if (h.allDelivered() && inFlight.get(h.request().id()) == h) inFlight.remove(h.request().id());
  }

  private void failAll(String reason) {
    for (RequestHandle h : new ArrayList<>(inFlight.values())) {
      for (FinishedSeq f : scheduler.abort(h.request().id())) complete(f, FinishReason.ERROR, reason);
    }
    // Samples the scheduler already retired but that were never delivered (the failure hit in between).
    for (Map.Entry<Integer, Seq> e : new ArrayList<>(seqs.entrySet())) {
      Seq seq = seqs.remove(e.getKey());
      GenerationRequest r = seq.handle.request();
      seq.handle.deliver(GenerationResult.failed(r.id(), seq.sample, r.promptIds().length, FinishReason.ERROR, reason, 0));
      releaseIfDone(seq.handle);
    }
    RequestHandle h;
    while ((h = submissions.poll()) != null) {
      for (int s = 0; s < h.request().params().n(); s++) {
        h.deliver(GenerationResult.failed(h.request().id(), s, h.request().promptIds().length, FinishReason.ERROR, reason, 0));
      }
    }
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) if (x == v) return true;
    return false;
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(); // a long prefill may be in flight: its forward still uses the cache
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return; // leave the cache to the model's manager rather than free it under a running forward
    }
    cache.close();
  }
}
