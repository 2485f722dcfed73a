package io.tokenmill.engine.scheduler;

/**
 * Result of {@link KvBlockManager#findCachedPrefix}: the longest run of cached full blocks matching the
 * start of a token sequence (their ref counts already incremented), and how many tokens they cover.
 * {@code nextBlockPending} says the next full block is not cached yet but is being computed in the
 * current step by another sequence, so waiting one step would turn it into a hit.
 */
public record CachedPrefix(int[] blockIds, int numTokens, boolean nextBlockPending) {

  public int numBlocks() {
    return blockIds.length;
  }
}
