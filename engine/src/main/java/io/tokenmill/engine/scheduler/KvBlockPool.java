package io.tokenmill.engine.scheduler;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The fixed pool of KV block ids {@code 0..numBlocks-1}: reference counts, the free list, and the prefix
 * cache index (content hash -> block). Used only by {@link KvBlockManager}; knows nothing of sequences.
 *
 * <p>A block with ref 0 is "free" but may still be cached: it stays in the index, and can be revived by a
 * prefix hit, until allocation evicts it. The free list is a doubly linked list over block ids, kept in
 * eviction order: allocation takes from the head (least recently freed), frees append to the tail, and
 * blocks holding nothing reusable go to the head so they are reused first (same idea as vLLM's
 * FreeKVCacheBlockQueue). All operations are O(1) except hashing, which is done by the caller.
 */
final class KvBlockPool {

  /** Identity of the empty prefix: the parent of every sequence's first block. */
  static final long ROOT_SERIAL = 0;

  private final int numBlocks;
  private final int[] refs;
  private final int[] prev;
  private final int[] next;
  private final boolean[] inFreeList;
  private int head = -1;
  private int tail = -1;
  private int numFree;

  // Cache metadata of registered blocks (tokens[b] != null iff b is in `index`).
  private final Map<Long, Integer> index = new HashMap<>();
  private final long[] hash;
  private final long[] serial;       // identity of the token prefix ending with this block
  private final long[] parentSerial; // identity of the prefix before it
  private final int[][] tokens;      // the block's token ids, compared on every hit (collision safety)
  private long nextSerial = ROOT_SERIAL + 1;

  KvBlockPool(int numBlocks) {
    if (numBlocks <= 0) throw new IllegalArgumentException("numBlocks must be > 0");
    this.numBlocks = numBlocks;
    refs = new int[numBlocks];
    prev = new int[numBlocks];
    next = new int[numBlocks];
    inFreeList = new boolean[numBlocks];
    hash = new long[numBlocks];
    serial = new long[numBlocks];
    parentSerial = new long[numBlocks];
    tokens = new int[numBlocks][];
    for (int b = 0; b < numBlocks; b++) append(b);
  }

  int numBlocks() {
    return numBlocks;
  }

  int numFree() {
    return numFree;
  }

  int refCount(int block) {
    return refs[block];
  }

  int numCached() {
    return index.size();
  }

  /** Takes the least recently freed block, evicting its cache entry; caller checks numFree() first. */
  int allocate() {
    if (head < 0) throw new IllegalStateException("no free KV block");
    int b = head;
    unlink(b);
    if (tokens[b] != null) uncache(b);
    refs[b] = 1;
    return b;
  }

  /** One more user of a cached block (prefix hit); revives it from the free list if it was unused. */
  void touch(int block) {
    if (refs[block]++ == 0) unlink(block);
  }

  /** One user fewer; at 0 the block becomes free but keeps its cached content. */
  void release(int block) {
    if (refs[block] <= 0) throw new IllegalStateException("block " + block + " released more than taken");
    if (--refs[block] > 0) return;
    // NOTE: a block that caches nothing is useless once free, so it is reused before any cached block.
    if (tokens[block] == null) prepend(block);
    else append(block);
  }

  /** The registered block for a content hash, or -1. */
  int lookup(long contentHash) {
    Integer b = index.get(contentHash);
    return b == null ? -1 : b;
  }

  /** Whether registered block {@code b} holds exactly {@code blockTokens} after prefix {@code parent}. */
  boolean matches(int b, long parent, int[] blockTokens) {
    return tokens[b] != null && parentSerial[b] == parent && Arrays.equals(tokens[b], blockTokens);
  }

  long hashOf(int b) {
    return hash[b];
  }

  long serialOf(int b) {
    return serial[b];
  }

  /**
   * Registers a just-computed full block. Returns the identity (serial) of its content, which its
   * sequence's next block uses as parent: a new serial if registered, the existing block's serial if an
   * identical block (same parent, same tokens) is already cached (this one stays private: a twin), or
   * -1 on a true hash collision (different content under the same hash; this one stays private).
   */
  long register(int b, long contentHash, long parent, int[] blockTokens) {
    int existing = lookup(contentHash);
    if (existing == b) return serial[b];
    if (existing >= 0) return matches(existing, parent, blockTokens) ? serial[existing] : -1;
    index.put(contentHash, b);
    hash[b] = contentHash;
    parentSerial[b] = parent;
    tokens[b] = blockTokens;
    serial[b] = nextSerial++;
    return serial[b];
  }

  private void uncache(int b) {
    index.remove(hash[b]);
    tokens[b] = null;
    // NOTE: serials are never reused, so any cached child of this block (whose parentSerial is this
    // block's serial) can no longer match a lookup: a later block with the same id is a different prefix.
  }

  private void append(int b) {
    prev[b] = tail;
    next[b] = -1;
    if (tail >= 0) next[tail] = b;
    else head = b;
    tail = b;
    inFreeList[b] = true;
    numFree++;
  }

  private void prepend(int b) {
    prev[b] = -1;
    next[b] = head;
    if (head >= 0) prev[head] = b;
    else tail = b;
    head = b;
    inFreeList[b] = true;
    numFree++;
  }

  private void unlink(int b) {
    if (!inFreeList[b]) throw new IllegalStateException("block " + b + " is not free");
    if (prev[b] >= 0) next[prev[b]] = next[b];
    else head = next[b];
    if (next[b] >= 0) prev[next[b]] = prev[b];
    else tail = prev[b];
    inFreeList[b] = false;
    numFree--;
  }
}
