package io.tokenmill.engine.scheduler;

/**
 * A sequence that left the {@link Scheduler}, reported exactly once: by {@link Scheduler#finish},
 * {@link Scheduler#abort}, {@link Scheduler#update} (length limits) or {@link SchedulerOutput#finished()}
 * (impossible to run). Its KV blocks are already freed. {@code reason} explains aborts; may be null.
 */
public record FinishedSeq(int seqId, SchedRequest request, int[] outputTokenIds, SeqStatus status,
    String reason) {

  public FinishedSeq {
    if (!status.isFinished()) throw new IllegalArgumentException("not a finished status: " + status);
  }
}
