package io.tokenmill.engine.scheduler;

/**
 * Limits for one {@link Scheduler} (one engine, one device), validated on construction.
 *
 * @param maxRunning       most sequences in one batch (the runner's max batch size)
 * @param maxTokensPerStep token budget of one forward: decode tokens + prefill tokens
 * @param blockSize        tokens per KV block
 * @param numBlocks        KV blocks in the pool (see {@link KvBlockManager#capacity})
 * @param chunkedPrefill   split long prompts across steps so running decodes are never starved
 * @param maxModelLen      most tokens (prompt + output) one sequence may hold
 */
public record SchedulerConfig(int maxRunning, int maxTokensPerStep, int blockSize, int numBlocks,
    boolean chunkedPrefill, int maxModelLen) {

  public SchedulerConfig {
    positive("maxRunning", maxRunning);
    positive("maxTokensPerStep", maxTokensPerStep);
    positive("blockSize", blockSize);
    positive("numBlocks", numBlocks);
    positive("maxModelLen", maxModelLen);
    // NOTE: every running decode needs one token of budget per step; with less budget than batch slots
    // some decodes would be skipped each step for no gain (vLLM enforces the same inequality).
    if (maxTokensPerStep < maxRunning) {
      throw new IllegalArgumentException("maxTokensPerStep (" + maxTokensPerStep + ") must be >= maxRunning ("
          + maxRunning + ")");
    }
    // NOTE: without chunking a prompt must fit one step's budget whole, or it could never be scheduled.
    if (!chunkedPrefill && maxTokensPerStep < maxModelLen) {
      throw new IllegalArgumentException("without chunked prefill maxTokensPerStep (" + maxTokensPerStep
          + ") must be >= maxModelLen (" + maxModelLen + ")");
    }
  }

  /** Chunked prefill on, the usual setting. */
  public static SchedulerConfig of(int maxRunning, int maxTokensPerStep, int blockSize, int numBlocks,
      int maxModelLen) {
    return new SchedulerConfig(maxRunning, maxTokensPerStep, blockSize, numBlocks, true, maxModelLen);
  }

  /**
   * Why a sequence that must hold {@code tokens} tokens can never run under these limits (no room left
   * under maxModelLen, or more KV blocks than the whole pool), or null if it can.
   */
  public String whyNeverFits(int tokens) {
    if (tokens >= maxModelLen) {
      return tokens + " tokens leave no room to generate under maxModelLen " + maxModelLen;
    }
    int blocks = KvBlockManager.blocksFor(tokens, blockSize);
    if (blocks > numBlocks) {
      return "needs " + blocks + " KV blocks for " + tokens + " tokens but the whole pool has " + numBlocks;
    }
    return null;
  }

  private static void positive(String name, int v) {
    if (v <= 0) throw new IllegalArgumentException(name + " must be > 0, got " + v);
  }
}
