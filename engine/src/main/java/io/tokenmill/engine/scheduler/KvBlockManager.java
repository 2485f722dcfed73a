package io.tokenmill.engine.scheduler;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntUnaryOperator;

/**
 * Paged KV-cache bookkeeping in ids only (no tensors): gives sequences blocks from a {@link KvBlockPool},
 * and implements prefix caching over FULL blocks. Called by the {@link Scheduler}; the engine uses only
 * the static sizing helpers. Single-threaded, like the scheduler.
 *
 * <p>Prefix caching. A full block is keyed by a 64-bit hash chained over (parent block's hash, the block's
 * token ids), so equal keys imply equal whole prefixes up to hash collisions. Hits are never trusted on
 * the hash alone: the pool stores each cached block's token ids and the identity (serial) of its parent
 * prefix, and a hit must match both. Blocks are registered only after the step that computed them
 * ({@link #commit}), so a hit always points at K/V that is really in the cache.
 *
 * <p>Write rule. Only full, computed blocks are ever shared; a sequence writes at positions at or past
 * its computed count, which always fall in blocks it allocated itself. When a whole token sequence is
 * cached the caller looks up all but the last token (see {@link #findCachedPrefix(int[], int)}), so at
 * least one token is recomputed and yields logits, as vLLM does.
 */
public final class KvBlockManager {

  /** Chain hash of the empty prefix. */
  static final long ROOT_HASH = 0x6a09e667f3bcc909L;

  /** The block-content hash; replaceable in tests to force collisions. */
  interface BlockHasher {
    long hash(long parentHash, int[] blockTokens);
  }

  private final KvBlockPool pool;
  private final int blockSize;
  private final BlockHasher hasher;
  // Hashes of full blocks that sequences scheduled in the current step will complete (see beginStep).
  private final Set<Long> pending = new HashSet<>();

  public KvBlockManager(int numBlocks, int blockSize) {
    this(numBlocks, blockSize, KvBlockManager::chainHash);
  }

  KvBlockManager(int numBlocks, int blockSize, BlockHasher hasher) {
    if (blockSize <= 0) throw new IllegalArgumentException("blockSize must be > 0");
    this.pool = new KvBlockPool(numBlocks);
    this.blockSize = blockSize;
    this.hasher = hasher;
  }

  /** KV blocks that fit in {@code kvBytes} when one token costs {@code bytesPerToken} (all layers, K+V). */
  public static long capacity(long kvBytes, long bytesPerToken, int blockSize) {
    if (kvBytes < 0 || bytesPerToken <= 0 || blockSize <= 0) {
      throw new IllegalArgumentException("kvBytes >= 0, bytesPerToken > 0 and blockSize > 0 required");
    }
    return kvBytes / bytesPerToken / blockSize;
  }

  /** How many sequences of {@code tokensPerSequence} tokens fit at once, with no sharing. */
  public static int sequencesThatFit(int numBlocks, int blockSize, int tokensPerSequence) {
    if (numBlocks < 0 || blockSize <= 0 || tokensPerSequence <= 0) {
      throw new IllegalArgumentException("numBlocks >= 0, blockSize > 0 and tokensPerSequence > 0 required");
    }
    return numBlocks / blocksFor(tokensPerSequence, blockSize);
  }

  /** Blocks needed to hold {@code tokens} positions. */
  public static int blocksFor(int tokens, int blockSize) {
    return (tokens + blockSize - 1) / blockSize;
  }

  public int blockSize() {
    return blockSize;
  }

  public int numBlocks() {
    return pool.numBlocks();
  }

  /** Blocks with no user (some may still hold evictable cached prefixes). */
  public int freeBlocks() {
    return pool.numFree();
  }

  /** Fraction of blocks in use by some sequence. */
  public double usage() {
    return 1.0 - (double) pool.numFree() / pool.numBlocks();
  }

  /** Blocks currently registered in the prefix cache (in use or not). */
  public int cachedBlocks() {
    return pool.numCached();
  }

  int refCount(int block) {
    return pool.refCount(block);
  }

  /** Forgets the previous step's pending blocks; called at the start of each schedule(). */
  void beginStep() {
    pending.clear();
  }

  /** Longest cached run over all full blocks of {@code tokenIds}. */
  public CachedPrefix findCachedPrefix(int[] tokenIds) {
    return findCachedPrefix(tokenIds, tokenIds.length);
  }

  /**
   * Longest run of cached full blocks matching {@code tokenIds[0, maxTokens)}; increments their refs (give
   * them to a table with {@link #adopt} or back with {@link #release}). Pass {@code length - 1} as
   * {@code maxTokens} for a sequence about to run, so its last token is always recomputed.
   */
  public CachedPrefix findCachedPrefix(int[] tokenIds, int maxTokens) {
    int full = Math.min(maxTokens, tokenIds.length) / blockSize;
    int[] hits = new int[full];
    int n = 0;
    boolean nextPending = false;
    long parentHash = ROOT_HASH;
    long parentSerial = KvBlockPool.ROOT_SERIAL;
    for (; n < full; n++) {
      int[] blockTokens = Arrays.copyOfRange(tokenIds, n * blockSize, (n + 1) * blockSize);
      long h = hasher.hash(parentHash, blockTokens);
      int b = pool.lookup(h);
      if (b < 0 || !pool.matches(b, parentSerial, blockTokens)) {
        nextPending = pending.contains(h);
        break;
      }
      hits[n] = b;
      parentHash = h;
      parentSerial = pool.serialOf(b);
    }
    int[] blocks = Arrays.copyOf(hits, n);
    for (int b : blocks) pool.touch(b);
    return new CachedPrefix(blocks, n * blockSize, nextPending);
  }

  /** Undoes the ref increments of a prefix that will not be used. */
  public void release(CachedPrefix prefix) {
    for (int b : prefix.blockIds()) pool.release(b);
  }

  /** Makes a looked-up prefix the start of an empty table (the table now owns those refs). */
  public void adopt(BlockTable table, CachedPrefix prefix) {
    if (table.size() != 0) throw new IllegalStateException("adopt needs an empty block table");
    for (int b : prefix.blockIds()) table.add(b);
    if (prefix.numBlocks() > 0) {
      int last = prefix.blockIds()[prefix.numBlocks() - 1];
      table.hashedBlocks = prefix.numBlocks();
      table.lastHash = pool.hashOf(last);
      table.lastSerial = pool.serialOf(last);
    }
  }

  /**
   * Grows {@code table} to hold {@code numTokensNeeded} positions. Returns the newly allocated block ids
   * (empty if none were needed), or null, changing nothing, if the pool has too few free blocks.
   */
  public int[] allocateFor(BlockTable table, int numTokensNeeded) {
    int need = blocksFor(numTokensNeeded, blockSize) - table.size();
    if (need <= 0) return new int[0];
    if (need > pool.numFree()) return null;
    int[] fresh = new int[need];
    for (int i = 0; i < need; i++) {
      fresh[i] = pool.allocate();
      table.add(fresh[i]);
    }
    return fresh;
  }

  /**
   * Registers the table's full blocks among its first {@code numComputed} positions (now in the KV
   * cache) so later sequences can hit them. {@code tokenAt} gives the sequence's token at a position.
   */
  void commit(BlockTable table, IntUnaryOperator tokenAt, int numComputed) {
    int full = Math.min(numComputed / blockSize, table.size());
    while (!table.chainBroken && table.hashedBlocks < full) {
      int i = table.hashedBlocks;
      int[] blockTokens = slice(tokenAt, i);
      long h = hasher.hash(table.lastHash, blockTokens);
      long s = pool.register(table.get(i), h, table.lastSerial, blockTokens);
      if (s < 0) {
        table.chainBroken = true; // collision: correctness first, this sequence just stops sharing
        return;
      }
      table.lastHash = h;
      table.lastSerial = s;
      table.hashedBlocks++;
    }
  }

  /** Records the full blocks that positions up to {@code endPosition} complete this step. */
  void markPending(BlockTable table, IntUnaryOperator tokenAt, int endPosition) {
    if (table.chainBroken) return;
    long h = table.lastHash;
    for (int i = table.hashedBlocks; i < endPosition / blockSize; i++) {
      h = hasher.hash(h, slice(tokenAt, i));
      pending.add(h);
    }
  }

  /** Drops the table's refs, tail block first so a sequence's prefix is evicted last; empties it. */
  public void free(BlockTable table) {
    for (int i = table.size() - 1; i >= 0; i--) pool.release(table.get(i));
    table.clear();
  }

  private int[] slice(IntUnaryOperator tokenAt, int block) {
    int[] t = new int[blockSize];
    for (int j = 0; j < blockSize; j++) t[j] = tokenAt.applyAsInt(block * blockSize + j);
    return t;
  }

  /** 64-bit chained hash over (parent hash, block token ids); a SplitMix64-style mixer per token. */
  static long chainHash(long parentHash, int[] blockTokens) {
    long h = mix(parentHash ^ (0x9E3779B97F4A7C15L * (blockTokens.length + 1)));
    for (int t : blockTokens) h = mix(h ^ (t & 0xFFFFFFFFL));
    return h;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
