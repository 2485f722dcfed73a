package io.tokenmill.engine.inference;

import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.runtime.StepBatch;
import io.tokenmill.engine.scheduler.FinishedSeq;
import io.tokenmill.engine.scheduler.KvBlockManager;
import io.tokenmill.engine.scheduler.SchedRequest;
import io.tokenmill.engine.scheduler.ScheduledSeq;
import io.tokenmill.engine.scheduler.Scheduler;
import io.tokenmill.engine.scheduler.SchedulerConfig;
import io.tokenmill.engine.scheduler.SchedulerOutput;
import io.tokenmill.engine.scheduler.SchedulerStats;
import io.tokenmill.engine.scheduler.SeqStatus;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One model on one device serving many callers with continuous batching: the engine core (vLLM v1's
 * {@code EngineCore}). Its single thread owns the submission and cancellation queues, admission, the
 * {@link Scheduler} and the metrics, and runs the step loop
 *
 * <pre>
 *   out     = scheduler.schedule()                 // ids and counts
 *   sampled = runner.execute(batch(out), rows)     // ModelRunner: forward + device sampling → token ids
 *   done    = scheduler.update(out, sampled)       // appends; length / EOS / stop ids (StopChecker)
 *   outputs.accept(...) for each token             // thinking budget, stop strings: before the next step
 *   outputs.finish(...) for each finished sample   // results + listeners, on the output thread
 * </pre>
 *
 * so every step decodes one token for each running sequence, admits waiting ones into free KV blocks
 * (chunked prefill within the step's token budget) and retires finished ones at once. {@link #submit} is
 * thread-safe and blocks while the bounded queue is full (backpressure); results stream to each request's
 * listener, on the {@link OutputProcessor}'s thread, as samples finish. No lock is held around a step:
 * only the engine thread touches the scheduler; {@link #metrics} reads a snapshot it publishes.
 *
 * <p>Sampling is deterministic per (seed, request id, sample, token index), so a request's tokens do not
 * depend on what else is in the batch, on preemption (recompute replays the same draws) or on retries.
 * Tokens the thinking budget forces are fed through the model one per step like sampled ones.
 */
public final class Engine implements AutoCloseable {

  private final DecoderModel model;
  private final EngineConfig config;
  private final ModelRunner runner;
  private final OutputProcessor outputs;
  private final Scheduler scheduler;
  private final ArrayBlockingQueue<RequestHandle> submissions;
  private final ConcurrentLinkedQueue<RequestHandle> cancellations = new ConcurrentLinkedQueue<>();
  private final Map<Integer, SampleState> seqs = new HashMap<>();
  private final Map<String, RequestHandle> inFlight = new HashMap<>();
  /** Samples retired this step, handed to the output thread once the step is accounted for. */
  private final List<Runnable> finishedThisStep = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;
  /** Tests only: when set and true for a step's batch, that forward throws (proves failure recovery). */
  volatile Predicate<StepBatch> injectForwardFailure;
  private volatile Consumer<StepStats> stepObserver;
  private volatile boolean paused;
  private volatile Published published;
  private long arrivals;
  private long runnerNanos;
  private long hostNanos;

  /** What {@link #metrics} reads: written by the engine thread after each step. */
  private record Published(SchedulerStats.Snapshot stats, long runnerNanos, long hostNanos) {}

  private Engine(DecoderModel model, ModelTokenizer tokenizer, ReasoningFormat format, int[] eosIds,
      EngineConfig config) {
    this.model = model;
    this.config = config;
    int numBlocks = config.numBlocks(KvCache.bytesPerToken(model.config(), model.device()));
    this.runner = new ModelRunner(model, numBlocks, config.blockSize(), config.maxSeqLen());
    this.scheduler = new Scheduler(new SchedulerConfig(config.maxBatch(), config.maxTokensPerStep(),
        config.blockSize(), numBlocks, true, config.maxSeqLen()));
    this.outputs = new OutputProcessor(tokenizer, format, eosIds, "tokenmill-output-" + model.device());
    this.submissions = new ArrayBlockingQueue<>(config.queueCapacity());
    this.thread = new Thread(this::loop, "tokenmill-engine-" + model.device());
    this.thread.setDaemon(true);
    publish();
  }

  /**
   * Starts an engine. {@code tokenizer} may be null (token ids only: no stop strings, no text);
   * {@code eosIds} end a sample unless its params say {@code ignoreEos}. Callers that load a model for
   * inference go through {@link LoadedModel#open}, which picks all of these from the model directory.
   */
  public static Engine start(DecoderModel model, ModelTokenizer tokenizer, ReasoningFormat format, int[] eosIds,
      EngineConfig config) {
    Engine e = new Engine(model, tokenizer, format, eosIds, config);
    e.thread.start();
    return e;
  }

  /** Token ids this engine's model accepts: [0, vocabSize). */
  public int vocabSize() {
    return model.config().vocabSize();
  }

  /** KV blocks of {@link EngineConfig#blockSize()} tokens this engine holds. */
  public int kvBlocks() {
    return runner.kvBlocks();
  }

  /** How many sequences of {@code tokens} tokens fit in this engine's KV memory at once. */
  public int sequencesThatFit(int tokens) {
    return Math.min(config.maxBatch(), KvBlockManager.sequencesThatFit(runner.kvBlocks(), config.blockSize(), tokens));
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

  public EngineMetrics metrics() {
    Published p = published;
    SchedulerStats.Snapshot s = p.stats();
    return new EngineMetrics(s.steps(), s.meanOccupancy(), s.prefillTokens(), s.decodeTokens(),
        s.cachedPrefixTokens(), s.preemptions(), outputs.finishedSamples(), outputs.outputTokens(),
        p.runnerNanos() / 1e9, p.hostNanos() / 1e9);
  }

  /** Counts DJL ops in every later step (benchmarks, tests): see {@link StepStats}. */
  public void countOps(boolean on) {
    runner.countOps(on);
  }

  /**
   * Calls {@code observer} on the engine thread after every later step (null: stop). For benchmarks:
   * the observer runs inside the step loop and must be quick.
   */
  public void observeSteps(Consumer<StepStats> observer) {
    stepObserver = observer;
  }

  /**
   * Stops admitting and stepping after the current step, until {@link #resume}; submissions queue up
   * meanwhile (up to the queue's capacity). For benchmarks and tests that need a whole batch admitted
   * in one step.
   */
  public void pause() {
    paused = true;
  }

  public void resume() {
    paused = false;
  }

  private void loop() {
    while (running) {
      try {
        if (paused) {
          Thread.sleep(1);
          continue;
        }
        admitSubmissions();
        applyCancellations();
        if (!scheduler.hasUnfinished()) {
          RequestHandle h = submissions.poll(50, TimeUnit.MILLISECONDS);
          if (h != null) admit(h);
          continue;
        }
        step();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        failAll("engine step failed: " + e);
      } catch (Error e) {
        // Out of memory or worse: nothing after this can be trusted. Stop taking work, fail everything.
        running = false;
        failAll("engine stopped: " + e);
        throw e;
      }
    }
    failAll("engine closed");
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
    List<SampleState> states = new ArrayList<>();
    if (problem == null) {
      try {
        for (int s = 0; s < n; s++) states.add(outputs.newSample(h, s));
      } catch (RuntimeException e) {
        problem = String.valueOf(e.getMessage()); // e.g. a thinking budget on a tokenizer without </think>
      }
    }
    if (problem != null) {
      for (int s = 0; s < n; s++) outputs.fail(h, s, problem);
      return;
    }
    inFlight.put(r.id(), h);
    h.unfinished = n;
    int[] prompt = r.promptIds();
    int maxNew = Math.min(r.params().maxNewTokens(), config.maxSeqLen() - prompt.length);
    long arrival = arrivals++;
    for (int s = 0; s < n; s++) {
      int id = scheduler.add(new SchedRequest(r.id(), s, prompt, maxNew, arrival, states.get(s).endIds));
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

  private void applyCancellations() {
    RequestHandle h;
    while ((h = cancellations.poll()) != null) {
      if (inFlight.get(h.request().id()) != h) continue;
      for (FinishedSeq f : scheduler.abort(h.request().id())) complete(f, FinishReason.ABORTED, "cancelled");
    }
    handOverFinished();
  }

  private void step() {
    long stepStart = System.nanoTime();
    SchedulerOutput out = scheduler.schedule();
    for (FinishedSeq f : out.finished()) complete(f, FinishReason.ERROR, f.reason());
    List<ScheduledSeq> sched = out.scheduled();
    if (sched.isEmpty()) {
      publish();
      handOverFinished();
      return;
    }
    int b = sched.size();
    int[][] tables = new int[b][];
    int[] starts = new int[b];
    int[][] tokens = new int[b][];
    ModelRunner.Row[] rows = new ModelRunner.Row[b];
    for (int i = 0; i < b; i++) {
      ScheduledSeq s = sched.get(i);
      tables[i] = s.blockTable();
      starts[i] = s.start();
      tokens[i] = s.newTokenIds();
      SampleState seq = seqs.get(s.seqId());
      if (seq != null && seq.firstScheduledNanos < 0) seq.firstScheduledNanos = stepStart;
      rows[i] = s.producesToken() && seq != null ? outputs.rowFor(seq) : ModelRunner.Row.NONE;
    }
    StepBatch batch = new StepBatch(tables, starts, tokens);
    ModelRunner.Output result;
    try {
      Predicate<StepBatch> fault = injectForwardFailure;
      if (fault != null && fault.test(batch)) throw new IllegalStateException("injected forward failure");
      result = runner.execute(batch, rows);
    } catch (RuntimeException e) {
      // NOTE: a failed forward (bad input that slipped through, device error) fails the requests in this
      // step only; the scheduler is told nothing was sampled so it stays consistent for everyone else.
      // Retire the step's sequences first: update() then expects no token from them and commits none of
      // their blocks to the prefix cache (their K/V were never written).
      runnerNanos += System.nanoTime() - stepStart;
      List<FinishedSeq> failed = new ArrayList<>();
      for (ScheduledSeq s : sched) {
        FinishedSeq f = scheduler.finish(s.seqId(), SeqStatus.FINISHED_ABORTED, "forward failed: " + e);
        if (f != null) failed.add(f);
      }
      scheduler.update(out, Map.of());
      for (FinishedSeq f : failed) complete(f, FinishReason.ERROR, "forward failed: " + e);
      publish();
      handOverFinished();
      return;
    }
    // Rows whose logits were not finite end with an error; the rest of the batch carries on. Retired
    // before update(), like a failed step's, so update() expects no token from them.
    Map<Integer, Integer> sampled = new HashMap<>();
    Set<Integer> forced = new HashSet<>();
    List<FinishedSeq> failedRows = new ArrayList<>();
    List<String> failedWhy = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      int seqId = sched.get(i).seqId();
      if (result.problems()[i] != null) {
        FinishedSeq f = scheduler.finish(seqId, SeqStatus.FINISHED_ABORTED, result.problems()[i]);
        if (f != null) {
          failedRows.add(f);
          failedWhy.add(result.problems()[i]);
        }
      } else if (rows[i].kind() != ModelRunner.Row.Kind.NONE) {
        sampled.put(seqId, result.tokens()[i]);
        if (rows[i].kind() == ModelRunner.Row.Kind.FORCED) forced.add(seqId);
      }
    }
    List<FinishedSeq> done = scheduler.update(out, sampled, forced);
    for (int i = 0; i < failedRows.size(); i++) complete(failedRows.get(i), FinishReason.ERROR, failedWhy.get(i));
    Set<Integer> stoppedByToken = new HashSet<>();
    for (FinishedSeq f : done) if (f.status() == SeqStatus.FINISHED_STOPPED) stoppedByToken.add(f.seqId());
    long tokenTime = System.nanoTime();
    for (int i = 0; i < b; i++) {
      int seqId = sched.get(i).seqId();
      if (!sampled.containsKey(seqId)) continue;
      SampleState seq = seqs.get(seqId);
      if (seq == null) continue;
      if (seq.firstTokenNanos < 0) seq.firstTokenNanos = tokenTime;
      boolean stop = outputs.accept(seq, result.tokens()[i], forced.contains(seqId), result.logprobs()[i],
          stoppedByToken.contains(seqId));
      SeqStatus status = scheduler.status(seqId);
      if (stop && status != null && !status.isFinished()) {
        FinishedSeq f = scheduler.finish(seqId, SeqStatus.FINISHED_STOPPED);
        if (f != null) complete(f, null, null);
      }
    }
    for (FinishedSeq f : done) complete(f, null, null);
    long wall = System.nanoTime() - stepStart;
    long host = wall - result.nanos() + result.prepNanos();
    runnerNanos += result.nanos();
    hostNanos += host;
    publish();
    Consumer<StepStats> observer = stepObserver;
    if (observer != null) {
      observer.accept(new StepStats(b, out.numPrefillTokens(), out.numDecodeTokens(), wall, result.nanos(), host,
          result.layerOps(), result.layers(), result.otherOps()));
    }
    handOverFinished();
  }

  private void publish() {
    published = new Published(scheduler.stats().snapshot(), runnerNanos, hostNanos);
  }

  /** A sample left the scheduler: its result is built and delivered on the output thread. */
  private void complete(FinishedSeq f, FinishReason forcedReason, String error) {
    SampleState seq = seqs.remove(f.seqId());
    if (seq == null) return;
    long endNanos = System.nanoTime();
    finishedThisStep.add(() -> outputs.finish(seq, f, forcedReason, error, endNanos));
    sampleDone(seq.handle);
  }

  /**
   * Hands the samples retired since the last call to the output thread. Called after a step's metrics
   * and observer: a caller that has its results sees the steps that produced them accounted for.
   */
  private void handOverFinished() {
    for (Runnable r : finishedThisStep) r.run();
    finishedThisStep.clear();
  }

  /** Forgets a request once none of its samples runs any more (and only if the id still maps to it). */
  private void sampleDone(RequestHandle h) {
    if (--h.unfinished == 0 && inFlight.get(h.request().id()) == h) inFlight.remove(h.request().id());
  }

  private void failAll(String reason) {
    for (RequestHandle h : new ArrayList<>(inFlight.values())) {
      for (FinishedSeq f : scheduler.abort(h.request().id())) complete(f, FinishReason.ERROR, reason);
    }
    // Samples the scheduler already retired but whose result was never handed over (the failure hit in
    // between).
    for (Map.Entry<Integer, SampleState> e : new ArrayList<>(seqs.entrySet())) {
      SampleState seq = seqs.remove(e.getKey());
      outputs.fail(seq.handle, seq.sample, reason);
      sampleDone(seq.handle);
    }
    RequestHandle h;
    while ((h = submissions.poll()) != null) {
      for (int s = 0; s < h.request().params().n(); s++) outputs.fail(h, s, reason);
    }
    publish();
    handOverFinished();
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
    outputs.close(); // every result handed over is delivered before close returns
    runner.close();
  }
}
