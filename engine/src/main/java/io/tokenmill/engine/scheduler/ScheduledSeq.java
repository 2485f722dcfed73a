package io.tokenmill.engine.scheduler;

/**
 * One sequence's share of a step, as the model runner consumes it. Position {@code p} of the sequence
 * lives in KV block {@code blockTable[p / blockSize]} at offset {@code p % blockSize}. Positions
 * {@code [0, start)} are already in the cache (computed in earlier steps, possibly by another sequence
 * that shares the block); the runner computes {@code newTokenIds} at positions
 * {@code [start, start + newTokenIds.length)} and writes their K/V into the table's blocks, which the
 * sequence owns exclusively. The table covers at least {@code start + newTokenIds.length} positions.
 *
 * <p>{@code producesToken} is true when the chunk ends at the sequence's last known token, so the logits of
 * its last new token must be sampled; false for a non-final prefill chunk, whose logits are ignored.
 * Arrays are copies owned by this record; treat them as read-only.
 */
public record ScheduledSeq(int seqId, int[] blockTable, int start, int[] newTokenIds, boolean producesToken) {

  public int numNewTokens() {
    return newTokenIds.length;
  }

  /** Context length after this step: keys the last new token attends over. */
  public int endPosition() {
    return start + newTokenIds.length;
  }
}
