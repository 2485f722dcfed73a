package io.tokenmill.engine.sampling;

import java.util.Arrays;

/**
 * Top-p over the whole vocabulary when the nucleus is too large for {@link TokenSampler}'s probe of
 * the best few hundred tokens (flat distributions, high temperature, randomly initialised models).
 * Sorting 152k tokens would cost ~10 ms; instead one pass computes the weights and sums the mass per
 * bucket of weight (16 buckets per octave, heaviest first). Walking the buckets down to where the
 * mass reaches p finds the boundary bucket: every token in a heavier bucket is in the nucleus, every
 * token in a lighter one is out, and only the boundary bucket's tokens are sorted to find the exact
 * cut (same rule as {@link SortedDraw#nucleusEnd}). Survivors are then drawn in id order, as on
 * every path. Reusable scratch; thread-confined.
 */
final class BucketedNucleus {

  private static final int SUB_BITS = 4; // 2^4 buckets per octave of weight
  private static final int BUCKETS = 64 << SUB_BITS; // 64 octaves; lighter weights share the last
  private static final long ONE_BITS = Double.doubleToRawLongBits(1.0);

  // Four interleaved histograms: consecutive tokens often fall in the same bucket, and a single
  // array would chain every add through the previous store (measured 2x slower).
  private final double[] bucketMass = new double[4 * BUCKETS];
  private double[] weights = new double[0];
  private long[] boundary = new long[0]; // boundary bucket, TopKSelector keys, ascending
  private int[] survivors = new int[0];

  /**
   * @param max the largest logit (so the top weight is exactly 1)
   * @param mass p times the total weight, computed by the caller in index order with {@link FastExp}
   */
  int sample(float[] logits, double max, double invT, double mass, double minP, double u) {
    int n = logits.length;
    if (weights.length < n) {
      weights = new double[n];
      boundary = new long[n];
      survivors = new int[n];
    }
    double[] w = weights;
    double[] h = bucketMass;
    Arrays.fill(h, 0.0);
    int i = 0;
    for (; i + 3 < n; i += 4) {
      double x0 = FastExp.exp((logits[i] - max) * invT);
      double x1 = FastExp.exp((logits[i + 1] - max) * invT);
      double x2 = FastExp.exp((logits[i + 2] - max) * invT);
      double x3 = FastExp.exp((logits[i + 3] - max) * invT);
      w[i] = x0;
      w[i + 1] = x1;
      w[i + 2] = x2;
      w[i + 3] = x3;
      h[bucketOf(x0)] += x0;
      h[BUCKETS + bucketOf(x1)] += x1;
      h[2 * BUCKETS + bucketOf(x2)] += x2;
      h[3 * BUCKETS + bucketOf(x3)] += x3;
    }
    for (; i < n; i++) {
      double x = FastExp.exp((logits[i] - max) * invT);
      w[i] = x;
      h[bucketOf(x)] += x;
    }
    int b = 0;
    double before = 0; // mass of the buckets heavier than b
    for (; b < BUCKETS - 1; b++) {
      double inB = (h[b] + h[BUCKETS + b]) + (h[2 * BUCKETS + b] + h[3 * BUCKETS + b]);
      if (before + inB >= mass) break;
      before += inB;
    }
    int m = 0;
    for (i = 0; i < n; i++) {
      if (w[i] > 0 && bucketOf(w[i]) == b) boundary[m++] = TopKSelector.key(logits[i], i);
    }
    Arrays.sort(boundary, 0, m); // ascending: walk it from the end for best first
    double s = before;
    int kept = 0;
    while (kept < m && s < mass) s += w[TopKSelector.idOf(boundary[m - 1 - kept++])];
    // Survivors are the tokens at or above the last kept one in key order: a heavier weight means a
    // higher logit, so compare weights and fall back to the key only on an equal weight. If the
    // bucket had no token at all (rounding ran the walk to the last bucket), all non-zero weights.
    long lastKey = kept > 0 ? boundary[m - kept] : Long.MAX_VALUE;
    double lastWeight = kept > 0 ? w[TopKSelector.idOf(lastKey)] : 0.0;
    int k = 0;
    double total = 0;
    for (i = 0; i < n; i++) {
      double x = w[i];
      // min-p on top: weight >= minP, the top token's weight being exactly 1.
      if ((x > lastWeight || (x == lastWeight && TopKSelector.key(logits[i], i) >= lastKey)) && x >= minP) {
        survivors[k++] = i;
        total += x;
      }
    }
    double target = SortedDraw.drawTarget(u, total);
    s = 0;
    for (int j = 0; j < k; j++) {
      s += w[survivors[j]];
      if (s > target) return survivors[j];
    }
    throw new IllegalStateException("draw fell outside the distribution"); // s ends at total > target
  }

  /**
   * Bucket of a weight in [0, 1]: the distance of its bit pattern below 1.0, in units of 1/16
   * octave. Positive doubles order like their bits, so heavier weights get lower buckets; zero
   * and anything below 2^-64 go to the last bucket.
   */
  static int bucketOf(double w) {
    return (int) Math.min((ONE_BITS - Double.doubleToRawLongBits(w)) >>> (52 - SUB_BITS), BUCKETS - 1);
  }
}
