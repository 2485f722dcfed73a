package io.tokenmill.engine.scheduler;

import java.util.Arrays;

/**
 * The physical KV blocks of one sequence, in position order (position p is in block {@code get(p /
 * blockSize)}), plus how far its full blocks have been registered in the prefix cache. Owned by the
 * sequence's state in the {@link Scheduler}; mutated only by {@link KvBlockManager}.
 */
public final class BlockTable {

  private int[] ids = new int[4];
  private int size;

  // Prefix-cache chain state: the first `hashedBlocks` blocks are registered (or are exact twins of
  // registered blocks); `lastHash`/`lastSerial` identify the content of block hashedBlocks-1.
  int hashedBlocks;
  long lastHash = KvBlockManager.ROOT_HASH;
  long lastSerial = KvBlockPool.ROOT_SERIAL;
  boolean chainBroken; // a true hash collision: later blocks of this sequence stay private

  public int size() {
    return size;
  }

  public int get(int i) {
    if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i + " of " + size);
    return ids[i];
  }

  /** A copy, for the runner. */
  public int[] toArray() {
    return Arrays.copyOf(ids, size);
  }

  void add(int block) {
    if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
    ids[size++] = block;
  }

  void clear() {
    size = 0;
    hashedBlocks = 0;
    lastHash = KvBlockManager.ROOT_HASH;
    lastSerial = KvBlockPool.ROOT_SERIAL;
    chainBroken = false;
  }

  @Override
  public String toString() {
    return Arrays.toString(toArray());
  }
}
