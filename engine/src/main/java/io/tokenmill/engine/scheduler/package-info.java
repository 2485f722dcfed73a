/**
 * Continuous batching over a paged KV cache, in ids and counts only (no tensors, no DJL), after vLLM v1.
 *
 * <p>Engine loop, on one thread: drain submissions into {@link io.tokenmill.engine.scheduler.Scheduler#add};
 * {@code out = schedule()}; run {@code out.scheduled()} as one batched forward; sample one token for each
 * entry with {@code producesToken}; {@code update(out, sampled)}; then {@code finish(id, FINISHED_STOPPED)}
 * for sequences whose new token is a stop. Collect {@link io.tokenmill.engine.scheduler.FinishedSeq}s from
 * {@code out.finished()}, update's return value, {@code finish} and {@code abort}.
 *
 * <p>Runner contract for a {@link io.tokenmill.engine.scheduler.ScheduledSeq}: position {@code p} lives in
 * block {@code blockTable[p / blockSize]} at offset {@code p % blockSize}; K/V of positions
 * {@code [0, start)} were written in earlier steps (possibly by another sequence sharing the block); the
 * new tokens are at positions {@code start, start + 1, ...} (RoPE positions too) and their K/V go into the
 * table, into blocks that no other sequence references. Only entries with {@code producesToken} need
 * logits (their last new token's row).
 */
package io.tokenmill.engine.scheduler;
