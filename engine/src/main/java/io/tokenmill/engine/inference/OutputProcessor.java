package io.tokenmill.engine.inference;

import io.tokenmill.engine.reasoning.Decision;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.reasoning.ReasoningParser;
import io.tokenmill.engine.reasoning.ReasoningResult;
import io.tokenmill.engine.reasoning.ThinkingController;
import io.tokenmill.engine.sampling.SampleRandom;
import io.tokenmill.engine.sampling.SampledToken;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.sampling.StopStringMatcher;
import io.tokenmill.engine.scheduler.FinishedSeq;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.tokenizer.StreamDecoder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's output processor (vLLM v1's {@code OutputProcessor} role): turns sampled tokens into
 * results. Two halves, split by what the next step depends on:
 *
 * <ul>
 *   <li>On the engine thread, per token, before the next schedule (it decides what that step runs):
 *       token accounting (the history penalties read), the thinking controller (budget forcing, answer
 *       budget) and stop strings (incremental detokenisation, only for requests that have them). A stop
 *       decided here takes effect before the sample's next step, so outputs do not depend on timing.
 *   <li>On its own output thread, once per finished sample: the full detokenisation, the reasoning /
 *       answer split, the finish reason, the result record, the metrics and the caller's listener. A slow
 *       listener or a long text no longer holds up the step loop.
 * </ul>
 *
 * <p>Token-level stops (length, EOS, stop ids) are not decided here but by the scheduler's
 * {@code StopChecker}; this class learns of them through {@code stoppedByToken}.
 */
final class OutputProcessor implements AutoCloseable {

  private final ModelTokenizer tokenizer;
  private final ReasoningFormat format;
  private final int[] eosIds;
  private final int[] afterThinkIds;
  private final ExecutorService thread;
  private final AtomicLong finishedSamples = new AtomicLong();
  private final AtomicLong outputTokens = new AtomicLong();

  /** {@code tokenizer} may be null: token ids only, no text, no stop strings, no thinking control. */
  OutputProcessor(ModelTokenizer tokenizer, ReasoningFormat format, int[] eosIds, String threadName) {
    this.tokenizer = tokenizer;
    this.format = format;
    this.eosIds = eosIds.clone();
    this.afterThinkIds = tokenizer == null ? new int[0] : tokenizer.encode("\n\n");
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
  }

  /** The per-sample state of a new request's sample; throws when its reasoning options cannot apply. */
  SampleState newSample(RequestHandle h, int sample) {
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
    SampleState s = new SampleState(h, sample, endIds(r.params()), thinking,
        needText ? new StopStringMatcher(r.params().stopStrings()) : null, needText ? new StreamDecoder(tokenizer, true) : null);
    if (thinking != null) {
      for (int t : thinking.startForced()) s.forced.add(t); // thinking budget 0: the think block closed at once
    }
    return s;
  }

  /** What the runner must do for this sample's next token: feed a forced one, or sample. */
  ModelRunner.Row rowFor(SampleState s) {
    if (!s.forced.isEmpty()) return ModelRunner.Row.forced(s.forced.poll());
    GenerationRequest req = s.request();
    SamplingParams p = req.params();
    double u = SampleRandom.uniform(p.seed(), req.id(), s.sample, s.counts.outputLength());
    // Short of min_tokens, the tokens that would end the sample (EOS unless ignored, stop ids) are banned.
    int[] banned = s.counts.outputLength() < p.minTokens() ? s.endIds : null;
    return ModelRunner.Row.sample(p, s.counts, u, banned);
  }

  /**
   * The ids that end a sample of these params (EOS unless ignored, stop token ids): the scheduler's stop
   * tokens, the ids banned before min_tokens, the stop token hidden from the text.
   */
  private int[] endIds(SamplingParams p) {
    int[] stops = p.stopTokenIds();
    int[] eos = p.ignoreEos() ? new int[0] : eosIds;
    int[] all = Arrays.copyOf(eos, eos.length + stops.length);
    System.arraycopy(stops, 0, all, eos.length, stops.length);
    return all;
  }

  /**
   * Applies one new token to a sample (engine thread). Returns true when the sample must stop now: a
   * stop string matched or the thinking controller's answer budget is spent.
   *
   * @param stoppedByToken the scheduler already finished it on a stop token (EOS or a stop id)
   */
  boolean accept(SampleState s, int token, boolean forced, SampledToken logprob, boolean stoppedByToken) {
    s.counts.add(token);
    if (forced) s.forcedEmitted++;
    if (s.logprobs != null) s.logprobs.add(logprob);
    if (stoppedByToken) {
      s.stopped = true;
      return false;
    }
    if (!forced && s.thinking != null) {
      Decision d = s.thinking.onToken(token);
      if (d.kind() == Decision.Kind.FORCE) {
        for (int t : d.forcedTokens()) s.forced.add(t);
      } else if (d.kind() == Decision.Kind.STOP) {
        return true; // the answer budget is spent: a length-type stop, not an end of sequence
      }
    }
    if (s.stops != null) {
      StopStringMatcher.Result m = s.stops.append(s.decoder.accept(token));
      if (m.stopped()) {
        s.stopped = true;
        s.stopText = m.finalText();
        return true;
      }
    }
    return false;
  }

  /**
   * Hands a finished sample to the output thread, which builds its result and delivers it. Called on
   * the engine thread; {@code s} is not touched there afterwards.
   *
   * @param forcedReason null for a normal finish, else the reason of a failed or aborted one
   * @param endNanos when the sample left the scheduler (its latency ends there)
   */
  void finish(SampleState s, FinishedSeq f, FinishReason forcedReason, String error, long endNanos) {
    thread.execute(() -> {
      GenerationResult result;
      try {
        result = build(s, f.outputTokenIds(), forcedReason, error, endNanos);
      } catch (RuntimeException e) {
        GenerationRequest r = s.request();
        result = GenerationResult.failed(r.id(), s.sample, r.promptIds().length, FinishReason.ERROR,
            "building the result failed: " + e, 0);
      }
      s.handle.deliver(result);
    });
  }

  /** Delivers a failure for a sample that has no state (rejected at admission, or never admitted). */
  void fail(RequestHandle h, int sample, String reason) {
    GenerationRequest r = h.request();
    GenerationResult result = GenerationResult.failed(r.id(), sample, r.promptIds().length, FinishReason.ERROR, reason, 0);
    thread.execute(() -> h.deliver(result));
  }

  long finishedSamples() {
    return finishedSamples.get();
  }

  long outputTokens() {
    return outputTokens.get();
  }

  private GenerationResult build(SampleState seq, int[] out, FinishReason forcedReason, String error, long now) {
    GenerationRequest r = seq.request();
    long submitted = seq.handle.submittedNanos;
    long latency = (now - submitted) / 1_000_000;
    long queue = seq.firstScheduledNanos < 0 ? latency : (seq.firstScheduledNanos - submitted) / 1_000_000;
    long ttft = seq.firstTokenNanos < 0 ? -1 : (seq.firstTokenNanos - submitted) / 1_000_000;
    if (forcedReason != null) {
      return new GenerationResult(r.id(), seq.sample, r.promptIds().length, out, null, null, null, 0, 0, 0,
          forcedReason, error, null, queue, ttft, latency);
    }
    boolean stopped = seq.stopped;
    boolean hitLength = !stopped;
    int visible = out.length;
    int lastId = visible > 0 ? out[visible - 1] : -1;
    if (stopped && seq.stopText == null && contains(seq.endIds, lastId)) {
      visible--; // the stop token ends the text; it is not part of it
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
      // The controller counts forced tokens with the part they belong to (transition + </think> as
      // reasoning, the after-think tokens as answer); the result reports them apart, so reasoning_tokens
      // never exceeds the thinking budget and both counts are what the model sampled.
      int forcedInReasoning = Math.min(seq.forcedEmitted, seq.thinking.forcedReasoningLength());
      reasoningTokens = rr.reasoningTokens() - forcedInReasoning;
      answerTokens = rr.answerTokens() - (seq.forcedEmitted - forcedInReasoning);
      transitionTokens = seq.forcedEmitted;
      reason = rr.finishReason();
    }
    List<SampledToken> lp = seq.logprobs == null ? null : List.copyOf(seq.logprobs);
    finishedSamples.incrementAndGet();
    outputTokens.addAndGet(out.length);
    return new GenerationResult(r.id(), seq.sample, r.promptIds().length, out, text, reasoning, answer,
        reasoningTokens, answerTokens, transitionTokens, reason, null, lp, queue, ttft, latency);
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) if (x == v) return true;
    return false;
  }

  /** Delivers everything already handed over, then stops the output thread. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
