package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** KV sizing takes any max_seq_len a model can declare without wrapping around. */
class EngineConfigTest {

  @Test
  void maxSeqLenNearIntMaxDoesNotWrapTheBlockCount() {
    // A model's max_position_embeddings of 2^31-1 used as max_seq_len: the budget, not overflow, decides.
    EngineConfig c = new EngineConfig(4, Integer.MAX_VALUE, 64L << 20, 16, 256, 16);
    assertEquals((64L << 20) / (1024 * 16), c.numBlocks(1024));
  }
}
