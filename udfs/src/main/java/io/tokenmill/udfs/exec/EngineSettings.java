package io.tokenmill.udfs.exec;

import java.io.Serializable;

/**
 * Config keys {@code engine.*}: how each executor sizes its one engine per device.
 *
 * @param maxSeqLen 0 = the model's max_position_embeddings
 * @param kvMemoryBytes KV cache budget in bytes; 0 = {@code kvMemoryFraction} of the device's free memory
 *     (GPU: free device memory after the weights; CPU: MemAvailable at load time)
 * @param maxInFlightPerTask requests one Spark task keeps submitted at once (0 = 2 × max_batch)
 */
public record EngineSettings(int maxBatch, int maxSeqLen, long kvMemoryBytes, double kvMemoryFraction, int blockSize,
    int maxTokensPerStep, int queueCapacity, int maxInFlightPerTask) implements Serializable {

  public EngineSettings {
    if (maxBatch < 1) throw new IllegalArgumentException("engine.max_batch must be >= 1, got " + maxBatch);
    if (maxSeqLen < 0) throw new IllegalArgumentException("engine.max_seq_len must be >= 0, got " + maxSeqLen);
    if (kvMemoryBytes < 0) throw new IllegalArgumentException("engine.kv_memory_bytes must be >= 0");
    if (!(kvMemoryFraction > 0 && kvMemoryFraction <= 1)) {
      throw new IllegalArgumentException("engine.kv_memory_fraction must be in (0, 1], got " + kvMemoryFraction);
    }
    if (blockSize < 1) throw new IllegalArgumentException("engine.block_size must be >= 1");
    if (maxTokensPerStep < 0) throw new IllegalArgumentException("engine.max_tokens_per_step must be >= 0");
    if (queueCapacity < 0) throw new IllegalArgumentException("engine.queue_capacity must be >= 0");
    if (maxInFlightPerTask < 0) throw new IllegalArgumentException("engine.max_in_flight_per_task must be >= 0");
  }

  public int inFlightPerTask() {
    return maxInFlightPerTask > 0 ? maxInFlightPerTask : 2 * maxBatch;
  }
}
