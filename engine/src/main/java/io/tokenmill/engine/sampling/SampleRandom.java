package io.tokenmill.engine.sampling;

/**
 * Counter-based randomness for sampling: the uniform draw for one output token is a pure function of
 * (seed, request id, sample index, token index). The generation loop calls it once per sequence per
 * step and passes the result to {@link TokenSampler#sample}.
 *
 * <p>Why not a {@code java.util.Random} per request: a stateful stream advances once per call, so a
 * sequence that is preempted and recomputed, re-batched, or re-run by a Spark task retry would
 * consume a different number of draws and diverge. Hashing the coordinates of the draw gives the same
 * token at the same position however the work was scheduled, with no shared mutable state.
 *
 * <p>The mixing is SplitMix64's finaliser (Stafford's variant 13), applied after absorbing each
 * coordinate; the id is hashed with FNV-1a over its UTF-16 code units plus its length (stable across
 * JVMs, unlike relying on {@code String.hashCode} alone, whose 32 bits collide easily). Every step is
 * a bijection of the running 64-bit state, so two token indexes of one stream never share a state.
 * Changing any constant here changes every sampled output ever produced: the tests pin golden values.
 */
public final class SampleRandom {

  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
  private static final long FNV_OFFSET = 0xCBF29CE484222325L;
  private static final long FNV_PRIME = 0x100000001B3L;

  private SampleRandom() {}

  /** A uniform double in [0, 1) for this draw; the same arguments always give the same value. */
  public static double uniform(long seed, String requestId, int sampleIndex, int tokenIndex) {
    return uniform(seed, idHash(requestId), sampleIndex, tokenIndex);
  }

  /**
   * As {@link #uniform(long, String, int, int)} with the id pre-hashed by {@link #idHash}, so the
   * per-step loop need not rehash a request's id for every token.
   */
  public static double uniform(long seed, long idHash, int sampleIndex, int tokenIndex) {
    if (sampleIndex < 0) throw new IllegalArgumentException("sampleIndex must be >= 0, got " + sampleIndex);
    if (tokenIndex < 0) throw new IllegalArgumentException("tokenIndex must be >= 0, got " + tokenIndex);
    long x = mix64(seed + GOLDEN_GAMMA);
    x = mix64(x ^ idHash);
    // Distinct odd multiples of the golden gamma keep "sample 1, token 0" and "sample 0, token 1"
    // from absorbing the same increment.
    x = mix64(x + (sampleIndex + 1L) * GOLDEN_GAMMA);
    x = mix64(x + (tokenIndex + 1L) * 0xD1B54A32D192ED03L);
    return (x >>> 11) * 0x1.0p-53; // top 53 bits: every double in [0, 1) on the 2^-53 grid
  }

  /** Stable 64-bit hash of a request id (FNV-1a over UTF-16 code units and the length, then mixed). */
  public static long idHash(String requestId) {
    if (requestId == null) throw new IllegalArgumentException("requestId must not be null");
    long h = FNV_OFFSET;
    for (int i = 0; i < requestId.length(); i++) {
      char c = requestId.charAt(i);
      h = (h ^ (c & 0xFF)) * FNV_PRIME;
      h = (h ^ (c >>> 8)) * FNV_PRIME;
    }
    h = (h ^ requestId.length()) * FNV_PRIME;
    return mix64(h);
  }

  /** SplitMix64 finaliser: a bijection on 64 bits with full avalanche. */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
