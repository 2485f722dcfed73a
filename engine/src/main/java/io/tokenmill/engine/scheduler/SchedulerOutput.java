package io.tokenmill.engine.scheduler;

import java.util.List;

/**
 * What one {@link Scheduler#schedule()} decided: the sequences the runner must execute this step (running
 * ones first, then newly admitted ones), the ids preempted this step (their KV is gone; the engine must
 * drop any per-sequence runner state), and sequences finished because they can never run. Immutable;
 * pass the same instance back to {@link Scheduler#update}.
 */
public record SchedulerOutput(long step, List<ScheduledSeq> scheduled, List<Integer> preempted,
    List<FinishedSeq> finished, int numPrefillTokens, int numDecodeTokens, int numRunning) {

  public SchedulerOutput {
    scheduled = List.copyOf(scheduled);
    preempted = List.copyOf(preempted);
    finished = List.copyOf(finished);
  }

  public boolean isEmpty() {
    return scheduled.isEmpty();
  }

  public int totalTokens() {
    return numPrefillTokens + numDecodeTokens;
  }
}
