package io.tokenmill.engine.sampling;

import java.util.Arrays;

/**
 * Selects the k best tokens of a logits row in one pass with a min-heap of k, for top-k sampling, the
 * top-p probe and top logprobs ({@link TokenSampler}). Reusable scratch; thread-confined.
 *
 * <p>"Best" is a total order: higher logit first, lower id on equal logits, so ties are resolved
 * deterministically (HF and vLLM keep every token tied with the k-th logit instead; with float
 * logits such ties are rare apart from masked -inf tokens, and a fixed k is what the user asked for).
 * The order is encoded in one {@code long} per token ({@link #key}) so the heap and the final sort
 * compare primitives and never box.
 */
final class TopKSelector {

  private long[] heap = new long[0];

  /**
   * Selects the best min(k, length) tokens; afterwards {@link #key(int)} 0..count-1 are best first.
   *
   * @throws IllegalArgumentException on a NaN logit
   */
  int select(float[] logits, int k) {
    int m = Math.min(k, logits.length);
    if (m <= 0) return 0;
    if (heap.length < m) heap = new long[m];
    long[] h = heap;
    for (int i = 0; i < m; i++) {
      if (Float.isNaN(logits[i])) throw TokenSampler.nanLogit(i);
      h[i] = key(logits[i], i);
    }
    for (int i = m / 2 - 1; i >= 0; i--) siftDown(h, i, m);
    float worst = logitOf(h[0]);
    for (int i = m; i < logits.length; i++) {
      float x = logits[i];
      // Ids rise through the loop, so a later token that only ties the worst kept one loses the
      // id tie-break: a strict > on the float is the complete test, and most tokens stop here.
      if (x > worst) {
        h[0] = key(x, i);
        siftDown(h, 0, m);
        worst = logitOf(h[0]);
      } else if (x != x) {
        throw TokenSampler.nanLogit(i);
      }
    }
    Arrays.sort(h, 0, m);
    for (int i = 0, j = m - 1; i < j; i++, j--) {
      long t = h[i];
      h[i] = h[j];
      h[j] = t;
    }
    return m;
  }

  /** The i-th best key of the last {@link #select}. */
  long key(int i) {
    return heap[i];
  }

  private static void siftDown(long[] h, int i, int n) {
    long v = h[i];
    while (true) {
      int c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1] < h[c]) c++;
      if (h[c] >= v) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = v;
  }

  /**
   * Orders tokens as longs: the float's bits made monotone as a signed int (negative floats have
   * their magnitude bits flipped) in the high half, the complemented id in the low half so that a
   * lower id compares greater among equal logits. Larger key = better token.
   */
  static long key(float logit, int id) {
    int b = Float.floatToRawIntBits(logit);
    b ^= (b >> 31) & 0x7FFFFFFF;
    return ((long) b << 32) | (~id & 0xFFFFFFFFL);
  }

  static int idOf(long key) {
    return ~(int) key;
  }

  static float logitOf(long key) {
    int b = (int) (key >>> 32);
    b ^= (b >> 31) & 0x7FFFFFFF;
    return Float.intBitsToFloat(b);
  }
}
