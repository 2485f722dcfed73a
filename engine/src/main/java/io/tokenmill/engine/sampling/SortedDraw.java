package io.tokenmill.engine.sampling;

import java.util.Arrays;

/**
 * The filters and the draw over candidate weights sorted best first (weight 1 for the top token),
 * for {@link TokenSampler}'s top-k and top-p paths (the static rules are shared with
 * {@link BucketedNucleus}). Holds a reusable scratch array; thread-confined.
 */
final class SortedDraw {

  private long[] byId = new long[0]; // (id << 32 | best-first position), sorted by id

  /**
   * End of the nucleus: token j is kept iff the mass strictly before it is below {@code mass}
   * (= p * total). This is HF's rule (drop tokens whose ascending cumulative probability is
   * &le; 1 - p) read from the top: on an exact boundary the token after it is dropped.
   *
   * @return the number of tokens kept, or -1 if these m weights never reach the mass
   */
  static int nucleusEnd(double[] w, int m, double mass) {
    double s = 0;
    for (int j = 0; j < m; j++) {
      if (s >= mass) return j;
      s += w[j];
    }
    return s >= mass ? m : -1;
  }

  /**
   * min-p within a best-first prefix: keeps p_j &ge; minP * p_max, i.e. w_j &ge; minP because the top
   * token's weight is exactly exp(0) = 1; renormalisation after top-k/top-p does not change ratios.
   */
  static int minPEnd(double[] w, int cut, double minP) {
    if (minP <= 0) return cut;
    for (int j = 1; j < cut; j++) {
      if (w[j] < minP) return j;
    }
    return cut;
  }

  /**
   * Draws among the first {@code cut} best-first tokens of the selector, with weights w. The
   * survivors are laid out in ascending id order (as on every path, see {@link TokenSampler}), so
   * the prefix is re-sorted by id; a single survivor, the usual case for peaked steps, needs no draw.
   */
  int drawInIdOrder(TopKSelector selector, double[] w, int cut, double u) {
    if (cut == 1) return TopKSelector.idOf(selector.key(0));
    if (byId.length < cut) byId = new long[Math.max(cut, 2 * byId.length)];
    for (int j = 0; j < cut; j++) byId[j] = ((long) TopKSelector.idOf(selector.key(j)) << 32) | j;
    Arrays.sort(byId, 0, cut);
    double total = 0;
    for (int t = 0; t < cut; t++) total += w[(int) byId[t]];
    double target = drawTarget(u, total);
    double s = 0;
    for (int t = 0; t < cut; t++) {
      s += w[(int) byId[t]];
      if (s > target) return (int) (byId[t] >>> 32); // its weight is > 0: s rose past target
    }
    throw new IllegalStateException("draw fell outside the distribution"); // s ends at total > target
  }

  /** u * total, kept strictly below total (u close to 1 can round the product up to total). */
  static double drawTarget(double u, double total) {
    double t = u * total;
    return t < total ? t : Math.nextDown(total);
  }
}
