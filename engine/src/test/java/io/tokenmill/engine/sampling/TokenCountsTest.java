package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sparse history: prompt tokens are seen but not counted, output tokens are both. */
class TokenCountsTest {

  @Test
  void promptTokensAreSeenButNotCounted() {
    TokenCounts c = new TokenCounts(new int[] {5, 7, 5});
    assertTrue(c.seen(5));
    assertTrue(c.seen(7));
    assertFalse(c.seen(6));
    assertEquals(0, c.outputCount(5));
    assertEquals(2, c.distinctCount());
    assertEquals(0, c.outputLength());
    c.add(5);
    c.add(9);
    c.add(9);
    assertEquals(1, c.outputCount(5));
    assertEquals(2, c.outputCount(9));
    assertEquals(3, c.distinctCount());
    assertEquals(3, c.outputLength());
    assertEquals(5, c.idAt(0));
    assertEquals(9, c.idAt(2));
    assertEquals(2, c.outputCountAt(2));
    assertFalse(c.seen(-3));
    assertEquals(0, c.outputCount(-3));
  }

  @Test
  void matchesAHashMapUnderGrowth() {
    Random r = new Random(1);
    int[] prompt = r.ints(3000, 0, 152_000).toArray();
    TokenCounts c = new TokenCounts(prompt);
    Map<Integer, Integer> counts = new HashMap<>();
    for (int id : prompt) counts.putIfAbsent(id, 0);
    for (int i = 0; i < 20_000; i++) {
      // Skewed ids so some repeat often; consecutive ids exercise the hash spreading.
      int id = r.nextBoolean() ? r.nextInt(64) : r.nextInt(152_000);
      c.add(id);
      counts.merge(id, 1, Integer::sum);
    }
    assertEquals(counts.size(), c.distinctCount());
    for (int i = 0; i < c.distinctCount(); i++) {
      assertEquals(counts.get(c.idAt(i)), c.outputCountAt(i));
    }
    for (int id = 0; id < 152_000; id += 7) {
      assertEquals(counts.containsKey(id), c.seen(id));
      assertEquals(counts.getOrDefault(id, 0), c.outputCount(id));
    }
  }

  @Test
  void copyIsIndependentAndOfRebuilds() {
    TokenCounts a = new TokenCounts(new int[] {1, 2});
    TokenCounts b = a.copy();
    b.add(3);
    assertFalse(a.seen(3));
    assertTrue(b.seen(3));
    TokenCounts rebuilt = TokenCounts.of(new int[] {1, 2}, new int[] {3, 3, 1});
    assertEquals(2, rebuilt.outputCount(3));
    assertEquals(1, rebuilt.outputCount(1));
    assertEquals(0, rebuilt.outputCount(2));
    assertEquals(3, rebuilt.outputLength());
  }

  @Test
  void rejectsNegativeIdsAndBadIndexes() {
    assertThrows(IllegalArgumentException.class, () -> new TokenCounts(new int[] {-1}));
    TokenCounts c = new TokenCounts(new int[0]);
    assertThrows(IllegalArgumentException.class, () -> c.add(-2));
    assertThrows(IndexOutOfBoundsException.class, () -> c.idAt(0));
  }
}
