package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.model.ModelConfig;

/**
 * Preallocated keys and values for every layer, indexed by slot: per layer one K and one V array of
 * shape (slots, nKv, maxLen, headDim). A sequence owns one slot while it runs; the scheduler (not this
 * class) decides which. Positions past a sequence's length hold stale values and are always masked.
 */
public final class KvCache implements AutoCloseable {

  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final int slots;
  private final int maxLen;

  KvCache(NDManager parent, ModelConfig config, ComputeDevice device, int slots, int maxLen) {
    if (slots <= 0 || maxLen <= 0) throw new IllegalArgumentException("slots and maxLen must be > 0");
    if (maxLen > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException("maxLen " + maxLen + " exceeds max_position_embeddings "
          + config.maxPositionEmbeddings());
    }
    this.manager = parent.newSubManager();
    this.slots = slots;
    this.maxLen = maxLen;
    this.keys = new NDArray[config.numLayers()];
    this.values = new NDArray[config.numLayers()];
    Shape shape = new Shape(slots, config.numKvHeads(), maxLen, config.headDim());
    for (int l = 0; l < keys.length; l++) {
      keys[l] = manager.zeros(shape, device.dataType());
      values[l] = manager.zeros(shape, device.dataType());
    }
  }

  /** Bytes one cached token costs across all layers (K and V). */
  public static long bytesPerToken(ModelConfig c, ComputeDevice device) {
    return 2L * c.numLayers() * c.numKvHeads() * c.headDim() * device.dataType().getNumOfBytes();
  }

  public int slots() {
    return slots;
  }

  public int maxLen() {
    return maxLen;
  }

  /** Writes one key/value row per token: k, v of shape (N, nKv, hd) at (slot[n], pos[n]). */
  void write(int layer, NDArray slotIdx, NDArray posIdx, NDArray k, NDArray v) {
    NDIndex at = new NDIndex("{}, :, {}, :", slotIdx, posIdx);
    keys[layer].set(at, k);
    values[layer].set(at, v);
  }

  /**
   * Keys and values of the given slots up to {@code len} positions, (B, nKv, len, hd), attached to
   * {@code step}. A contiguous ascending run of slots is a view; otherwise a gather.
   */
  NDArray[] read(int layer, int[] slotIds, NDArray slotIdx, int len, NDManager step) {
    NDIndex index;
    if (isRun(slotIds)) {
      index = new NDIndex("{}:{}, :, 0:{}, :", slotIds[0], slotIds[0] + slotIds.length, len);
    } else {
      index = new NDIndex("{}, :, 0:{}, :", slotIdx, len);
    }
    return new NDArray[] {keys[layer].get(step, index), values[layer].get(step, index)};
  }

  /** Copies the first {@code len} positions of one slot into another (shared-prefix reuse). */
  public void copyPrefix(int fromSlot, int toSlot, int len) {
    if (len <= 0) return;
    NDIndex src = new NDIndex("{}, :, 0:{}, :", fromSlot, len);
    NDIndex dst = new NDIndex("{}, :, 0:{}, :", toSlot, len);
    for (int l = 0; l < keys.length; l++) {
      try (NDArray k = keys[l].get(src); NDArray v = values[l].get(src)) {
        keys[l].set(dst, k);
        values[l].set(dst, v);
      }
    }
  }

  private static boolean isRun(int[] ids) {
    for (int i = 1; i < ids.length; i++) {
      if (ids[i] != ids[0] + i) return false;
    }
    return true;
  }

  @Override
  public void close() {
    manager.close();
  }
}
