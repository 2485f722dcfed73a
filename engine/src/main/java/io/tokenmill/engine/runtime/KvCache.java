package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.model.ModelConfig;

/**
 * Paged keys and values for every layer: a pool of {@code numBlocks} blocks of {@code blockSize}
 * token rows. Which blocks a sequence owns (and which it shares with others through a common prefix) is
 * decided by the scheduler, in ids only; this class only stores and gathers.
 *
 * <p>Layout, per layer one array of shape (2, nKv, numBlocks, blockSize, headDim): keys then values,
 * each head-major, then block, then the block's tokens. What the forward relies on:
 * <ul>
 *   <li>A step writes a layer's new keys and values with one index_put: they come out of the forward as
 *       one (N, nKv, 2, hd) view.</li>
 *   <li>A step gathers token rows of whole blocks: one embedding lookup of (sequences × nKv × L) rows of
 *       headDim values for keys, one for values, whose result is already attention's (B, nKv, L, hd)
 *       (gathering blockSize·headDim rows instead needs a reshape after each: two more ops per layer;
 *       measured no faster, docs/PERFORMANCE.md).</li>
 *   <li>The gathered (B, nKv, L, hd) arrays are contiguous: the attention matmuls read them as they are —
 *       no transposed copy, and no strided operand (MKL's strided batched path measured 2× slower here,
 *       docs/PERFORMANCE.md).</li>
 * </ul>
 * Token position p of a sequence lives in block {@code table[p / blockSize]}, slot {@code p % blockSize}.
 * Keys are stored as the forward computes them (RoPE applied, head dims in its mirrored order).
 */
public final class KvCache implements AutoCloseable {

  private final NDManager manager;
  /**
   * Per layer, the whole pool viewed (2·nKv·numBlocks·blockSize, hd): one row per token slot, keys of
   * (head, block) rows first, then values; writes and gathers index it.
   */
  private final NDArray[] slots;
  private final int numBlocks;
  private final int blockSize;
  private final int kvHeads;
  private final int headDim;
  /** 0 … blockSize − 1 (int64): a block's positions, added to its first slot. */
  private final NDArray withinBlock;
  /** Slot distance from a key to its value (int64 scalar). */
  private final NDArray valueOffset;

  KvCache(NDManager parent, ModelConfig config, ComputeDevice device, int numBlocks, int blockSize) {
    if (numBlocks <= 0 || blockSize <= 0) throw new IllegalArgumentException("numBlocks and blockSize must be > 0");
    this.manager = parent.newSubManager();
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.kvHeads = config.numKvHeads();
    this.headDim = config.headDim();
    int layers = config.numLayers();
    this.slots = new NDArray[layers];
    this.withinBlock = manager.arange(0, blockSize, 1, DataType.INT64);
    this.valueOffset = manager.create((long) kvHeads * numBlocks * blockSize);
    long headBlocks = (long) kvHeads * numBlocks;
    for (int l = 0; l < layers; l++) {
      NDArray pool = manager.zeros(new Shape(2 * headBlocks, (long) blockSize * headDim), device.dataType());
      slots[l] = pool.reshape(2 * headBlocks * blockSize, headDim);
    }
  }

  /** Bytes one cached token costs across all layers (K and V). */
  public static long bytesPerToken(ModelConfig c, ComputeDevice device) {
    return 2L * c.numLayers() * c.numKvHeads() * c.headDim() * device.dataType().getNumOfBytes();
  }

  public int numBlocks() {
    return numBlocks;
  }

  public int blockSize() {
    return blockSize;
  }

  int kvHeads() {
    return kvHeads;
  }

  /** Block id holding position {@code pos}. */
  int blockOf(int[] table, int pos) {
    int block = pos / blockSize;
    if (block >= table.length) {
      throw new IllegalArgumentException("position " + pos + " needs block " + block + " but the table has "
          + table.length + " blocks");
    }
    int id = table[block];
    if (id < 0 || id >= numBlocks) throw new IllegalArgumentException("block id " + id + " out of range");
    return id;
  }

  /**
   * Write slots of position {@code pos}: for each KV head its key slot then its value slot (the (nKv, 2)
   * order of {@link #write}'s index), 2·nKv values into {@code out} from {@code at}.
   */
  void slots(int[] table, int pos, long[] out, int at) {
    long slot = (long) blockOf(table, pos) * blockSize + pos % blockSize; // key, head 0
    long headStride = (long) numBlocks * blockSize;
    long valueStride = kvHeads * headStride;
    for (int h = 0; h < kvHeads; h++) {
      out[at + 2 * h] = slot + h * headStride;
      out[at + 2 * h + 1] = slot + h * headStride + valueStride;
    }
  }

  /** First key slot of a block in KV head {@code head} ({@link #slotIndex}). */
  long firstKeySlot(int block, int head) {
    return ((long) head * numBlocks + block) * blockSize;
  }

  /**
   * Writes the new tokens' keys and values, {@code kv} (N, nKv, 2, hd), at {@code slotIdx}: an index
   * array (N, nKv, 2) of {@link #slots} — one in-place index_put.
   */
  void write(int layer, NDIndex slotIdx, NDArray kv) {
    slots[layer].set(slotIdx, kv);
  }

  /**
   * Zeroes slots ({@link #slots}, any shape) in every layer. A block's slots past what its sequence has
   * written are read (masked) by every step that gathers the block; zeroing them when the block is
   * started keeps a previous owner's values — possibly non-finite, which a mask cannot hide from the P·V
   * product — out of the new owner's attention.
   */
  void clear(NDArray slotIdx, NDManager scope) {
    NDIndex at = new NDIndex("{}", slotIdx);
    // The zero lives in the caller's scope: set(index, Number) would leave one scalar per call in the pool's.
    NDArray zero = scope.zeros(new Shape(), slots[0].getDataType());
    for (NDArray layer : slots) layer.set(at, zero);
  }

  /**
   * Key and value slot indices of whole blocks: {@code firstSlots} (B, nKv, nb, 1) holds each gathered
   * block's first key slot ({@link #firstKeySlot}); the block's other positions and the value
   * slots are added on the device → (B, nKv, nb·blockSize) each, positions in order. Built once per
   * attention group and step (four ops with the upload) and read by every layer's {@link #read}; the
   * upload stays one index per block (expanding it on the host would upload B·nKv·L indices: at batch 256
   * and 8k contexts, 32 MB a step).
   */
  NDArray[] slotIndex(NDArray firstSlots) {
    Shape s = firstSlots.getShape();
    NDArray keys = Views.reshape(firstSlots.add(withinBlock), s.get(0), s.get(1), s.get(2) * blockSize);
    return new NDArray[] {keys, keys.add(valueOffset)};
  }

  /**
   * Gathers keys and values at {@code keySlots} and {@code valueSlots} ({@link #slotIndex}, (B, nKv, L)):
   * (B, nKv, L, hd) each, contiguous, in {@code scope} — one row lookup each, already in attention's
   * shape. Positions past a sequence's context hold whatever its blocks hold and must be masked by the
   * caller.
   */
  NDArray[] read(int layer, NDArray keySlots, NDArray valueSlots, NDManager scope) {
    NDArray k = Views.rows(slots[layer], keySlots);
    NDArray v = Views.rows(slots[layer], valueSlots);
    k.attach(scope);
    v.attach(scope);
    return new NDArray[] {k, v};
  }

  /** Block tables giving sequence i the contiguous blocks [i·perSeq, (i+1)·perSeq): for simple callers. */
  public int[][] contiguousTables(int sequences, int tokensPerSequence) {
    int perSeq = (tokensPerSequence + blockSize - 1) / blockSize;
    if ((long) perSeq * sequences > numBlocks) {
      throw new IllegalArgumentException(sequences + " sequences of " + tokensPerSequence + " tokens need "
          + perSeq * sequences + " blocks; the cache has " + numBlocks);
    }
    int[][] tables = new int[sequences][perSeq];
    for (int i = 0; i < sequences; i++) {
      for (int j = 0; j < perSeq; j++) tables[i][j] = i * perSeq + j;
    }
    return tables;
  }

  @Override
  public void close() {
    manager.close();
  }
}
