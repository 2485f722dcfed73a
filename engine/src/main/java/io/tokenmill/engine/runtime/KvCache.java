package io.tokenmill.engine.runtime;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.tokenmill.engine.model.ModelConfig;
import java.nio.ByteBuffer;

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
 *   <li>A step gathers whole blocks: one embedding lookup of (sequences × nKv × nb) rows of
 *       blockSize·headDim values for keys, one for values, each reshaped (a view) to attention's
 *       (B, nKv, L, hd). Rows of single tokens need no reshape but copy headDim values per call: at long
 *       contexts the per-row copies dominated the step (docs/PERFORMANCE.md, "Long contexts").</li>
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
  /** The same pools viewed (2·nKv·numBlocks, blockSize·hd): one row per (K or V, head, block); reads index it. */
  private final NDArray[] blockRows;
  private final int numBlocks;
  private final int blockSize;
  private final int kvHeads;
  private final int headDim;
  /** Block-row distance from a key block to its value block (int64 scalar). */
  private final NDArray valueOffset;
  /**
   * Per layer, the pool's memory as a direct buffer for {@link NativeKernels#decodeAttention} (the pools
   * never move); null when the kernels cannot read this cache (not loaded, not a CPU fp32 cache, or a
   * layer's pool over the 2 GiB a direct buffer from DJL may span).
   */
  private final ByteBuffer[] nativePools;

  KvCache(NDManager parent, ModelConfig config, ComputeDevice device, int numBlocks, int blockSize) {
    if (numBlocks <= 0 || blockSize <= 0) throw new IllegalArgumentException("numBlocks and blockSize must be > 0");
    this.manager = parent.newSubManager();
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.kvHeads = config.numKvHeads();
    this.headDim = config.headDim();
    int layers = config.numLayers();
    this.slots = new NDArray[layers];
    this.blockRows = new NDArray[layers];
    this.valueOffset = manager.create((long) kvHeads * numBlocks);
    long headBlocks = (long) kvHeads * numBlocks;
    for (int l = 0; l < layers; l++) {
      NDArray pool = manager.zeros(new Shape(2 * headBlocks, (long) blockSize * headDim), device.dataType());
      blockRows[l] = pool;
      slots[l] = pool.reshape(2 * headBlocks * blockSize, headDim);
    }
    this.nativePools = nativePools(blockRows, device);
  }

  private static ByteBuffer[] nativePools(NDArray[] pools, ComputeDevice device) {
    if (!NativeKernels.usableOn(device)) return null;
    ByteBuffer[] out = new ByteBuffer[pools.length];
    try {
      for (int l = 0; l < pools.length; l++) out[l] = JniUtils.getByteBuffer((PtNDArray) pools[l], true);
    } catch (EngineException e) { // over 2 GiB per layer: DJL hands out no direct buffer that large
      return null;
    }
    return out;
  }

  /** Layer {@code layer}'s pool for the native kernels, or null when they cannot read this cache. */
  ByteBuffer nativePool(int layer) {
    return nativePools == null ? null : nativePools[layer];
  }

  /** Whether {@link NativeKernels} can read and write this cache in place. */
  boolean nativeReadable() {
    return nativePools != null;
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

  int headDim() {
    return headDim;
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

  /** Row of a block's keys in KV head {@code head} among the pool's block rows ({@link #blockIndex}). */
  long keyBlockRow(int block, int head) {
    return (long) head * numBlocks + block;
  }

  /**
   * Writes the new tokens' keys and values, {@code kv} (N, nKv, 2, hd), at {@code slotIdx}: an index
   * array (N, nKv, 2) of {@link #slots} — one in-place index_put.
   */
  void write(int layer, NDIndex slotIdx, NDArray kv) {
    slots[layer].set(slotIdx, kv);
  }

  /**
   * The 2·nKv block rows ({@link #blockRows}) of block {@code block}: for each KV head its key row then its
   * value row, into {@code out} from {@code at}.
   */
  void blockRowsOf(int block, long[] out, int at) {
    for (int h = 0; h < kvHeads; h++) {
      out[at + 2 * h] = keyBlockRow(block, h);
      out[at + 2 * h + 1] = keyBlockRow(block, h) + (long) kvHeads * numBlocks;
    }
  }

  /**
   * Zeroes whole block rows ({@link #blockRowsOf}) in every layer. A block's slots past what its sequence
   * has written are read (masked) by every step that gathers the block; zeroing the block when its sequence
   * starts it keeps a previous owner's values — possibly non-finite, which a mask cannot hide from the P·V
   * product — out of the new owner's attention. Whole rows, not token slots: index_put walks its index
   * per row of the indexed view, so 2·nKv rows of blockSize·hd values cost a fraction of the
   * 2·nKv·(blockSize − 1) slot rows of hd values they replace (measured: docs/PERFORMANCE.md).
   */
  void clearBlocks(NDArray blockRowIdx, NDManager scope) {
    NDIndex at = new NDIndex("{}", blockRowIdx);
    // The zero lives in the caller's scope: set(index, Number) would leave one scalar per call in the pool's.
    NDArray zero = scope.zeros(new Shape(), blockRows[0].getDataType());
    for (NDArray layer : blockRows) layer.set(at, zero);
  }

  /**
   * Key and value block-row indices: {@code keyRows} (B, nKv, nb) holds each gathered block's key row
   * ({@link #keyBlockRow}); the value rows are one add away. Built once per attention group and step and
   * read by every layer's {@link #read}.
   */
  NDArray[] blockIndex(NDArray keyRows) {
    return new NDArray[] {keyRows, keyRows.add(valueOffset)};
  }

  /**
   * Gathers the key and value blocks at {@code keyRows} and {@code valueRows} ({@link #blockIndex},
   * (B, nKv, nb)): (B, nKv, nb·blockSize, hd) each, contiguous, in {@code scope} — one row lookup of whole
   * blocks and one reshape (a view) each, already in attention's shape. Positions past a sequence's
   * context hold whatever its blocks hold and must be masked by the caller.
   *
   * <p>Whole blocks, not token rows: the lookup copies row by row, and a token row is only headDim values
   * (128 bytes for the tiny reasoner): at long contexts those per-row copies dominated the step's profile
   * (`memmove` 60% → 37% with block rows; docs/PERFORMANCE.md, "Long contexts").
   */
  NDArray[] read(int layer, NDArray keyRows, NDArray valueRows, NDManager scope) {
    Shape s = keyRows.getShape();
    long len = s.get(2) * blockSize;
    NDArray k = Views.rows(blockRows[layer], keyRows); // in the index's (the step's) scope: moved to the caller's
    NDArray v = Views.rows(blockRows[layer], valueRows);
    k.attach(scope);
    v.attach(scope);
    return new NDArray[] {Views.reshape(k, s.get(0), s.get(1), len, headDim), Views.reshape(v, s.get(0), s.get(1), len, headDim)};
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
