package io.tokenmill.engine.inference;

/**
 * Timings and op counts of one engine step, for benchmarks ({@link Engine#observeSteps}).
 *
 * <p>{@code runnerNanos}: wall time of the model runner's forward + device sampling, from the step's
 * token ids entering the model to the sampled ids back in Java. {@code hostNanos}: the step's wall time
 * outside native compute — scheduling, building the batch and sampling rows, the forward's own
 * Java-side input building and attention plan, the scheduler update with its stop checks, the thinking
 * controller and stop strings — i.e. step wall time minus runner time plus the forward's Java-side
 * preparation. Result building, detokenising and listeners run on the output thread and are not in a
 * step. Op counts are -1 unless {@link Engine#countOps} is on: {@code layerOps} over {@code layers}
 * layer passes, {@code otherOps} every other DJL op of the step (inputs, embedding, head, sampling).
 */
public record StepStats(int sequences, int prefillTokens, int decodeTokens, long wallNanos, long runnerNanos,
    long hostNanos, long layerOps, int layers, long otherOps) {

  /** A step of decode tokens only (no prompt being computed). */
  public boolean isPureDecode() {
    return prefillTokens == 0 && decodeTokens > 0;
  }
}
