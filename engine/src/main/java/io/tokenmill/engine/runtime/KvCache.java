package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.tokenmill.engine.model.ModelConfig;

/**
 * Paged keys and values for every layer: a pool of {@code numBlocks} blocks of {@code blockSize}
 * token rows, per layer one K and one V array of shape (numBlocks·blockSize, nKv, headDim). Token
 * position p of a sequence lives in row {@code table[p / blockSize] · blockSize + p % blockSize} of
 * its block table. Which blocks a sequence owns (and which it shares with others through a common
 * prefix) is decided by the scheduler, in ids only; this class only stores and gathers rows.
 */
public final class KvCache implements AutoCloseable {

  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final int numBlocks;
  private final int blockSize;
  private final int kvHeads;
  private final int headDim;

  KvCache(NDManager parent, ModelConfig config, ComputeDevice device, int numBlocks, int blockSize) {
    if (numBlocks <= 0 || blockSize <= 0) throw new IllegalArgumentException("numBlocks and blockSize must be > 0");
    this.manager = parent.newSubManager();
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.keys = new NDArray[config.numLayers()];
    this.values = new NDArray[config.numLayers()];
    // Rows of nKv·hd values: gathering rows is then an embedding lookup (index_select), ~4× faster in
    // libtorch than advanced indexing of a 3-D pool.
    Shape shape = new Shape((long) numBlocks * blockSize, (long) config.numKvHeads() * config.headDim());
    this.kvHeads = config.numKvHeads();
    this.headDim = config.headDim();
    for (int l = 0; l < keys.length; l++) {
      keys[l] = manager.zeros(shape, device.dataType());
      values[l] = manager.zeros(shape, device.dataType());
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

  /** Row of position {@code pos} for a sequence with this block table. */
  long row(int[] table, int pos) {
    int block = pos / blockSize;
    if (block >= table.length) {
      throw new IllegalArgumentException("position " + pos + " needs block " + block + " but the table has "
          + table.length + " blocks");
    }
    int id = table[block];
    if (id < 0 || id >= numBlocks) throw new IllegalArgumentException("block id " + id + " out of range");
    return (long) id * blockSize + pos % blockSize;
  }

  /** Writes k, v of shape (N, nKv, hd) into the given rows (N). */
  void write(int layer, NDArray rows, NDArray k, NDArray v) {
    NDIndex at = new NDIndex("{}", rows);
    long n = k.getShape().get(0);
    keys[layer].set(at, k.reshape(n, (long) kvHeads * headDim));
    values[layer].set(at, v.reshape(n, (long) kvHeads * headDim));
  }

  /**
   * Gathers rows (B, L) into keys and values viewed as (B, nKv, L, hd); the arrays belong to the
   * index's manager (the caller's scope).
   */
  NDArray[] read(int layer, NDArray rows, NDManager step) {
    long b = rows.getShape().get(0);
    long len = rows.getShape().get(1);
    NDArray k = JniUtils.embedding((PtNDArray) rows, (PtNDArray) keys[layer], false);
    NDArray v = JniUtils.embedding((PtNDArray) rows, (PtNDArray) values[layer], false);
    k.attach(step);
    v.attach(step);
    return new NDArray[] {
      k.reshape(b, len, kvHeads, headDim).transpose(0, 2, 1, 3),
      v.reshape(b, len, kvHeads, headDim).transpose(0, 2, 1, 3)};
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
