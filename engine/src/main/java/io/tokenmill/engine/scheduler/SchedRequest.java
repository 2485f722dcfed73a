package io.tokenmill.engine.scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One sequence to generate, as the engine hands it to {@link Scheduler#add}: the prompt's token ids, the
 * output cap, the token ids that end it (EOS unless ignored, plus the request's stop ids; see
 * {@link StopChecker}), and its arrival order. A prompt sampled {@code n} times is {@code n} requests with the same
 * request id and prompt and sample indexes 0..n-1 (see {@link #samples}); they share the prompt's KV
 * blocks through prefix caching, not through any special case.
 *
 * <p>Priority is arrival: a smaller {@code arrival} is served first and preempted last.
 */
public record SchedRequest(String requestId, int sampleIndex, int[] promptTokenIds, int maxNewTokens,
    long arrival, int[] stopTokenIds) {

  public SchedRequest {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(promptTokenIds, "promptTokenIds");
    if (promptTokenIds.length == 0) throw new IllegalArgumentException("empty prompt for " + requestId);
    if (sampleIndex < 0) throw new IllegalArgumentException("negative sampleIndex for " + requestId);
    if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1 for " + requestId);
    promptTokenIds = promptTokenIds.clone(); // immutable: the scheduler hashes these into cached blocks
    stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
  }

  /** A sequence that only the length limits end (no stop token ids). */
  public SchedRequest(String requestId, int sampleIndex, int[] promptTokenIds, int maxNewTokens, long arrival) {
    this(requestId, sampleIndex, promptTokenIds, maxNewTokens, arrival, null);
  }

  /** The {@code n} samples of one prompt, sample indexes 0..n-1, same arrival. */
  public static List<SchedRequest> samples(String requestId, int n, int[] prompt, int maxNewTokens,
      long arrival) {
    if (n < 1) throw new IllegalArgumentException("n must be >= 1");
    List<SchedRequest> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(new SchedRequest(requestId, i, prompt, maxNewTokens, arrival));
    return out;
  }

  /** A copy of the prompt (the record keeps its own). */
  @Override
  public int[] promptTokenIds() {
    return promptTokenIds.clone();
  }

  /** A copy of the stop token ids. */
  @Override
  public int[] stopTokenIds() {
    return stopTokenIds.clone();
  }

  /** Whether {@code token} is one of this sequence's stop token ids (no copy). */
  boolean isStopToken(int token) {
    for (int t : stopTokenIds) if (t == token) return true;
    return false;
  }

  public int promptLength() {
    return promptTokenIds.length;
  }

  /** Lower is more important; equal to {@link #arrival()}. */
  public long priority() {
    return arrival;
  }

  @Override
  public String toString() {
    return "SchedRequest[" + requestId + "#" + sampleIndex + ", prompt=" + promptTokenIds.length
        + " tokens, maxNewTokens=" + maxNewTokens + ", arrival=" + arrival + "]";
  }
}
