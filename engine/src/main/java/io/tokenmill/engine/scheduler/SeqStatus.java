package io.tokenmill.engine.scheduler;

/**
 * Life cycle of one sequence inside the {@link Scheduler}. The order is meaningful: every constant from
 * {@link #FINISHED_STOPPED} on is terminal, so {@link #isFinished()} is a single comparison (as in vLLM's
 * RequestStatus). Do not reorder.
 */
public enum SeqStatus {
  /** Queued, holds no KV blocks. */
  WAITING,
  /** Admitted: holds KV blocks and is scheduled (prefill chunks, then one decode token per step). */
  RUNNING,
  /** Evicted under block pressure; back in the waiting queue, will be recomputed from prompt + output. */
  PREEMPTED,
  /** The engine saw a stop condition (EOS, stop token/string). */
  FINISHED_STOPPED,
  /** Reached maxNewTokens or the model length. */
  FINISHED_LENGTH,
  /** Cancelled (Spark task killed) or impossible to run (too long for the pool or the model). */
  FINISHED_ABORTED;

  public boolean isFinished() {
    return compareTo(FINISHED_STOPPED) >= 0;
  }
}
