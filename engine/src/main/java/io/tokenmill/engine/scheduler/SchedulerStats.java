package io.tokenmill.engine.scheduler;

/**
 * Cumulative counters of one {@link Scheduler}, for logs and the job's metrics. Read on the engine
 * thread (the scheduler is single-threaded); {@link #snapshot()} gives an immutable copy to publish.
 */
public final class SchedulerStats {

  long steps;
  long runningSum;
  long prefillTokens;
  long decodeTokens;
  long cachedPrefixTokens;
  long preemptions;
  long aborted;
  private final int maxRunning;

  SchedulerStats(int maxRunning) {
    this.maxRunning = maxRunning;
  }

  void record(SchedulerOutput out) {
    steps++;
    runningSum += out.numRunning();
    prefillTokens += out.numPrefillTokens();
    decodeTokens += out.numDecodeTokens();
  }

  /** Immutable view of the counters at one moment. */
  public record Snapshot(long steps, long prefillTokens, long decodeTokens, long cachedPrefixTokens,
      long preemptions, long aborted, double meanRunning, double meanOccupancy) {}

  public Snapshot snapshot() {
    double mean = steps == 0 ? 0 : (double) runningSum / steps;
    return new Snapshot(steps, prefillTokens, decodeTokens, cachedPrefixTokens, preemptions, aborted, mean,
        mean / maxRunning);
  }

  /** Non-empty steps scheduled. */
  public long steps() {
    return steps;
  }

  /** Prompt tokens computed, including recomputation after preemption. */
  public long prefillTokens() {
    return prefillTokens;
  }

  /** One per sequence per decode step. */
  public long decodeTokens() {
    return decodeTokens;
  }

  /** Prefill tokens not computed because their blocks were found in the prefix cache. */
  public long cachedPrefixTokens() {
    return cachedPrefixTokens;
  }

  public long preemptions() {
    return preemptions;
  }

  /** Sequences finished FINISHED_ABORTED, by abort() or because they could never run. */
  public long aborted() {
    return aborted;
  }

  /** Mean running sequences per step divided by maxRunning: how full the batch was kept. */
  public double meanOccupancy() {
    return snapshot().meanOccupancy();
  }

  @Override
  public String toString() {
    return snapshot().toString();
  }
}
