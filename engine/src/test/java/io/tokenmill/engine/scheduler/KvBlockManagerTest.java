package io.tokenmill.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KvBlockManagerTest {

  private static final int BS = 4;

  /** A table holding {@code tokens}, all computed and registered, as the scheduler would leave it. */
  private static BlockTable computed(KvBlockManager m, int[] tokens) {
    BlockTable t = new BlockTable();
    m.adopt(t, m.findCachedPrefix(tokens, tokens.length - 1));
    m.allocateFor(t, tokens.length);
    m.commit(t, p -> tokens[p], tokens.length);
    return t;
  }

  @Test
  void allocatesWholeBlocksAndFailsWithoutSideEffects() {
    KvBlockManager m = new KvBlockManager(5, BS);
    BlockTable t = new BlockTable();
    assertEquals(1, m.allocateFor(t, 1).length);
    assertEquals(0, m.allocateFor(t, 4).length, "still inside the first block");
    assertEquals(1, m.allocateFor(t, 5).length, "crossing a block boundary");
    assertNull(m.allocateFor(t, 5 * BS + 1), "needs 4 more blocks, only 3 free");
    assertEquals(2, t.size());
    assertEquals(3, m.freeBlocks());
    assertEquals(0.4, m.usage(), 1e-9);
    m.free(t);
    assertEquals(5, m.freeBlocks());
    assertEquals(0, t.size());
  }

  @Test
  void cachedFullBlocksAreSharedWithRefCounts() {
    KvBlockManager m = new KvBlockManager(16, BS);
    int[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    BlockTable ta = computed(m, a);
    assertEquals(2, m.cachedBlocks(), "two full blocks; the partial tail is never cached");

    int[] b = {1, 2, 3, 4, 5, 6, 7, 8, 42};
    CachedPrefix hit = m.findCachedPrefix(b, b.length - 1);
    assertEquals(8, hit.numTokens());
    assertArrayEquals(new int[] {ta.get(0), ta.get(1)}, hit.blockIds());
    assertEquals(2, m.refCount(ta.get(0)));

    // A different first block: no hit even though the second block's tokens match.
    int[] c = {9, 9, 9, 9, 5, 6, 7, 8, 1};
    assertEquals(0, m.findCachedPrefix(c, c.length - 1).numTokens());

    m.release(hit);
    m.free(ta);
    assertEquals(16, m.freeBlocks());
    assertEquals(2, m.cachedBlocks(), "freed blocks stay cached until evicted");
    CachedPrefix again = m.findCachedPrefix(b, b.length - 1);
    assertEquals(8, again.numTokens(), "revived from the free list");
    assertEquals(14, m.freeBlocks());
  }

  @Test
  void fullyCachedSequenceRecomputesItsLastBlock() {
    KvBlockManager m = new KvBlockManager(16, BS);
    int[] a = {1, 2, 3, 4, 5, 6, 7, 8};
    computed(m, a);
    assertEquals(8, m.findCachedPrefix(a).numTokens(), "everything is cached...");
    // ...but a sequence about to run looks up length-1 tokens, so its last token lands in a fresh block.
    assertEquals(4, m.findCachedPrefix(a, a.length - 1).numTokens());
  }

  @Test
  void evictsLeastRecentlyFreedAndUncachedFirst() {
    KvBlockManager m = new KvBlockManager(4, BS);
    BlockTable x = computed(m, new int[] {1, 1, 1, 1, 2}); // block 0 cached, block 1 private
    BlockTable y = computed(m, new int[] {3, 3, 3, 3, 4}); // block 2 cached, block 3 private
    int xCached = x.get(0);
    int xPrivate = x.get(1);
    m.free(x);
    m.free(y);
    BlockTable z = new BlockTable();
    int[] got = m.allocateFor(z, 2 * BS);
    // Private (useless) blocks are reused before any cached one.
    assertTrue(got[0] == xPrivate || got[1] == xPrivate);
    assertEquals(2, m.cachedBlocks());
    m.allocateFor(z, 3 * BS);
    assertEquals(xCached, z.get(2), "x's prefix was freed before y's: evicted first");
    assertEquals(1, m.cachedBlocks());
    assertEquals(0, m.findCachedPrefix(new int[] {1, 1, 1, 1, 2}, 4).numTokens());
    assertEquals(4, m.findCachedPrefix(new int[] {3, 3, 3, 3, 4}, 4).numTokens());
  }

  @Test
  void aFreedSequenceLosesItsTailBeforeItsPrefix() {
    KvBlockManager m = new KvBlockManager(3, BS);
    int[] a = {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4};
    BlockTable t = new BlockTable();
    m.allocateFor(t, 12);
    m.commit(t, p -> a[p], 12);
    m.free(t);
    BlockTable other = new BlockTable();
    m.allocateFor(other, BS); // evicts one cached block: must be the last one, which is useless alone
    assertEquals(8, m.findCachedPrefix(a, 12).numTokens());
  }

  @Test
  void hashCollisionsNeverProduceFalseHits() {
    // Every block hashes to the same value: only the stored token ids tell blocks apart.
    KvBlockManager m = new KvBlockManager(16, BS, (parent, tokens) -> 7L);
    int[] a = {1, 2, 3, 4, 5};
    computed(m, a);
    assertEquals(0, m.findCachedPrefix(new int[] {1, 2, 3, 5, 5}, 4).numTokens());
    assertEquals(4, m.findCachedPrefix(a, 4).numTokens(), "same content still hits");
    BlockTable b = computed(m, new int[] {6, 6, 6, 6, 6, 6, 6, 6, 6});
    assertTrue(b.chainBroken, "a colliding block stays private, and so does the rest of its sequence");
  }

  @Test
  void aHitNeedsTheSameParentNotJustTheSameTokens() {
    // A hash that ignores the parent: the parent identity check alone must keep prefixes apart.
    KvBlockManager m = new KvBlockManager(16, BS, (parent, tokens) -> KvBlockManager.chainHash(0, tokens));
    computed(m, new int[] {1, 1, 1, 1, 5, 5, 5, 5, 0}); // [A, C]
    computed(m, new int[] {2, 2, 2, 2, 0});             // [B]
    CachedPrefix hit = m.findCachedPrefix(new int[] {2, 2, 2, 2, 5, 5, 5, 5, 0}, 8); // [B, C]
    assertEquals(4, hit.numTokens(), "C was computed after A, not after B");
  }

  @Test
  void identicalBlocksComputedTwiceStillChainTheirChildren() {
    KvBlockManager m = new KvBlockManager(16, BS);
    int[] p = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    BlockTable first = computed(m, p);
    BlockTable twin = new BlockTable(); // computed the same blocks without a hit (same step)
    m.allocateFor(twin, 12);
    int[] longer = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    m.commit(twin, i -> longer[i], 12);
    assertFalse(twin.chainBroken);
    CachedPrefix hit = m.findCachedPrefix(longer, 12);
    assertEquals(12, hit.numTokens());
    assertArrayEquals(new int[] {first.get(0), first.get(1), twin.get(2)}, hit.blockIds());
  }

  @Test
  void pendingBlocksAreReportedAsWorthWaitingFor() {
    KvBlockManager m = new KvBlockManager(16, BS);
    int[] p = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    BlockTable t = new BlockTable();
    m.allocateFor(t, p.length);
    m.markPending(t, i -> p[i], p.length);
    CachedPrefix hit = m.findCachedPrefix(p, p.length - 1);
    assertEquals(0, hit.numTokens());
    assertTrue(hit.nextBlockPending());
    m.beginStep();
    assertFalse(m.findCachedPrefix(p, p.length - 1).nextBlockPending());
  }

  @Test
  void capacityMath() {
    // 8 GiB of KV at 128 KiB per token (e.g. 32 layers x 8 kv heads x 128 dims x 2 (K,V) x 2 bytes).
    long perToken = 2L * 32 * 8 * 128 * 2;
    assertEquals(131072, perToken);
    long blocks = KvBlockManager.capacity(8L << 30, perToken, 16);
    assertEquals(4096, blocks);
    assertEquals(0, KvBlockManager.capacity(perToken * 16 - 1, perToken, 16), "partial blocks don't count");
    assertEquals(16, KvBlockManager.sequencesThatFit(4096, 16, 4096));
    assertEquals(15, KvBlockManager.sequencesThatFit(4096, 16, 4097), "a 4097-token sequence needs 257");
    assertEquals(2, KvBlockManager.blocksFor(17, 16));
    assertThrows(IllegalArgumentException.class, () -> KvBlockManager.capacity(1, 0, 16));
  }
}
