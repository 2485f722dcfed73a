package io.tokenmill.engine.inference;

/**
 * Engine sizing. KV memory is a byte budget turned into blocks of {@code blockSize} tokens; {@code
 * maxBatch} bounds running sequences, {@code maxTokensPerStep} the tokens of one forward call (long
 * prompts are prefilled in chunks of at most this), {@code queueCapacity} the requests waiting to be
 * admitted (submit blocks beyond it: backpressure).
 */
public record EngineConfig(int maxBatch, int maxSeqLen, long kvMemoryBytes, int blockSize, int maxTokensPerStep,
    int queueCapacity) {

  public EngineConfig {
    check(maxBatch >= 1, "engine.max_batch must be >= 1");
    check(maxSeqLen >= 2, "engine.max_seq_len must be >= 2");
    check(kvMemoryBytes > 0, "engine.kv_memory_bytes must be > 0");
    check(blockSize >= 1, "engine.block_size must be >= 1");
    check(maxTokensPerStep >= maxBatch, "engine.max_tokens_per_step must be >= engine.max_batch");
    check(queueCapacity >= 1, "engine.queue_capacity must be >= 1");
  }

  public static EngineConfig defaults(int maxBatch, int maxSeqLen, long kvMemoryBytes) {
    return new EngineConfig(maxBatch, maxSeqLen, kvMemoryBytes, 16, Math.max(512, maxBatch), 4 * maxBatch);
  }

  /** Blocks the budget buys, never more than max_batch full-length sequences can use. */
  public int numBlocks(long bytesPerToken) {
    long budget = kvMemoryBytes / (bytesPerToken * blockSize);
    // long arithmetic: a max_seq_len near Integer.MAX_VALUE (a model's max_position_embeddings) must not wrap.
    long useful = (long) maxBatch * (((long) maxSeqLen + blockSize - 1) / blockSize) + maxBatch;
    long blocks = Math.min(budget, useful);
    check(blocks >= 1, "KV budget of " + kvMemoryBytes + " bytes holds no block of " + blockSize + " tokens ("
        + bytesPerToken + " bytes per token)");
    return Math.toIntExact(blocks);
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }
}
