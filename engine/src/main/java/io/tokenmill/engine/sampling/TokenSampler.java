package io.tokenmill.engine.sampling;

import java.util.Objects;

/**
 * Turns one sequence's logits row into its next token, as {@link SamplingParams} asks (see there for
 * the order of processing). Called by the generation loop once per sequence per step, with the draw
 * from {@link SampleRandom}, so the result depends only on (logits, params, history, draw).
 *
 * <p>Thread-confined and reusable: scratch buffers sized to the vocabulary are kept between calls,
 * so a step allocates nothing proportional to the vocabulary. One sampler per worker thread.
 *
 * <p>Cost per call, V = vocabulary: greedy is one argmax pass. Temperature / min-p alone: an argmax
 * pass and one pass computing weights and their running sum (min-p skips the exp for tokens far
 * below its floor), then a binary search of the running sums (no sort). Top-k: one pass through a
 * k-heap; softmax over k only. Top-p without top-k: a heap pass for the best {@link #NUCLEUS_PROBE}
 * tokens plus one exp pass for the total; only if the nucleus is larger than the probe, a bucketed
 * pass ({@link BucketedNucleus}) narrows the tokens to sort. Logprobs add one exp pass.
 *
 * <p>The draw: filters decide which tokens survive (best first: higher logit, lower id on ties);
 * the survivors' renormalised probabilities are then laid out on [0, 1) in ascending token id
 * order and the uniform picks the token whose interval contains it. The same layout on every path
 * keeps the mapping from draw to token simple to state and to reproduce.
 *
 * <p>Guarantees: ties (greedy argmax, top-k boundary, nucleus order) go to the lowest token id; a
 * token whose probability after filtering is 0 is never returned; all -inf logits, any NaN or +inf
 * logit throw {@link IllegalArgumentException}. The logits array is modified during the call (for
 * penalties) and restored before it returns, so it must not be shared with another thread meanwhile.
 */
public final class TokenSampler {

  /** Best tokens examined before falling back to the bucketed nucleus; LLM nuclei are mostly tiny. */
  static final int NUCLEUS_PROBE = 256;

  private final TopKSelector selector = new TopKSelector();
  private final LogitPenalties penalties = new LogitPenalties();
  private final BucketedNucleus bucketed = new BucketedNucleus();
  private final SortedDraw draw = new SortedDraw();
  private double[] cumulative = new double[0]; // running sums of weights, one per token
  private double[] candWeights = new double[0]; // weights of the selector's best tokens

  /**
   * Samples the next token.
   *
   * @param logits raw model logits for this sequence; restored to their values before returning
   * @param history tokens seen so far; may be null when the params have no penalties
   * @param uniform the draw, in [0, 1), normally {@link SampleRandom#uniform}; unused when greedy
   */
  public SampledToken sample(float[] logits, SamplingParams p, TokenCounts history, double uniform) {
    Objects.requireNonNull(logits, "logits");
    Objects.requireNonNull(p, "params");
    if (logits.length == 0) throw new IllegalArgumentException("logits is empty");
    if (!(uniform >= 0 && uniform < 1)) {
      throw new IllegalArgumentException("uniform must be in [0, 1), got " + uniform);
    }
    if (p.hasPenalties() && history == null) {
      throw new IllegalArgumentException("params have penalties but no token history was given");
    }
    boolean penalise = p.hasPenalties() && history.distinctCount() > 0;
    int token;
    try {
      if (penalise) penalties.apply(logits, p, history);
      token = choose(logits, p, uniform);
    } finally {
      if (penalise) penalties.restore(logits);
    }
    Integer k = p.logprobs();
    return k == null ? SampledToken.of(token) : withLogprobs(logits, token, k);
  }

  private int choose(float[] logits, SamplingParams p, double u) {
    if (p.isGreedy()) return argmax(logits);
    double invT = 1.0 / p.temperature();
    int k = p.topK();
    if (k > 0 && k < logits.length) return sampleTopK(logits, k, invT, p.topP(), p.minP(), u);
    if (p.topP() < 1.0) return sampleTopP(logits, invT, p.topP(), p.minP(), u);
    return sampleFullVocab(logits, invT, p.minP(), u);
  }

  /** Index of the largest logit, lowest index on ties; rejects NaN, +inf and all -inf. */
  static int argmax(float[] logits) {
    int arg = -1;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < logits.length; i++) {
      float x = logits[i];
      if (x > max) {
        max = x;
        arg = i;
      } else if (x != x) {
        throw nanLogit(i);
      }
    }
    checkTop(arg, max, logits.length);
    return arg;
  }

  /** Temperature (and min-p) over the whole vocabulary: running sums + binary search, no sort. */
  private int sampleFullVocab(float[] logits, double invT, double minP, double u) {
    int n = logits.length;
    if (cumulative.length < n) cumulative = new double[n];
    double[] cum = cumulative;
    double max = logits[argmax(logits)];
    // min-p keeps p_i >= minP * p_max, i.e. weight >= minP (the max token's weight is exactly
    // exp(0) = 1). Tokens whose scaled logit is clearly below ln(minP) skip the exp; the 1e-6 margin
    // dwarfs FastExp's error, so the skip never changes a decision. minP = 0 gives -Infinity: no skip.
    double skipBelow = minP > 0 ? StrictMath.log(minP) - 1e-6 : Double.NEGATIVE_INFINITY;
    double total = 0;
    for (int i = 0; i < n; i++) {
      double x = (logits[i] - max) * invT;
      double w = x < skipBelow ? 0 : FastExp.exp(x);
      if (w < minP) w = 0;
      total += w;
      cum[i] = total;
    }
    double target = SortedDraw.drawTarget(u, total);
    // First i with cum[i] > target: its weight is > 0, since cum[i - 1] <= target.
    int lo = 0;
    int hi = n - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cum[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Top-k through a k-heap, then top-p and min-p within the k; softmax over k tokens only. */
  private int sampleTopK(float[] logits, int k, double invT, double topP, double minP, double u) {
    int m = selector.select(logits, k);
    double[] w = bestWeights(logits.length, m, invT);
    int cut = m;
    if (topP < 1.0) {
      double total = 0;
      for (int j = 0; j < m; j++) total += w[j];
      cut = SortedDraw.nucleusEnd(w, m, topP * total);
      if (cut < 0) cut = m;
    }
    cut = SortedDraw.minPEnd(w, cut, minP);
    return draw.drawInIdOrder(selector, w, cut, u);
  }

  /**
   * Top-p over the whole vocabulary. One heap pass keeps the NUCLEUS_PROBE best tokens (and finds
   * the max), one exp pass sums all weights without storing them; when the probe's best-first
   * prefix reaches p of the total, which is the usual case in decoding, the nucleus is found after
   * sorting only the probe. Larger nuclei go to {@link BucketedNucleus}.
   */
  private int sampleTopP(float[] logits, double invT, double topP, double minP, double u) {
    int alone = loneNucleus(logits, invT, topP);
    if (alone >= 0) return alone;
    int n = logits.length;
    int m = selector.select(logits, NUCLEUS_PROBE);
    double[] w = bestWeights(n, m, invT);
    double max = TopKSelector.logitOf(selector.key(0));
    double total = 0;
    for (int i = 0; i < n; i++) total += FastExp.exp((logits[i] - max) * invT);
    double mass = topP * total;
    int cut = SortedDraw.nucleusEnd(w, m, mass);
    if (cut < 0 && m < n) return bucketed.sample(logits, max, invT, mass, minP, u);
    if (cut < 0) cut = m; // all tokens probed: only rounding kept the sum below p * total
    cut = SortedDraw.minPEnd(w, cut, minP);
    return draw.drawInIdOrder(selector, w, cut, u);
  }

  /**
   * The best token (lowest id on ties) when the nucleus is that token alone, else -1: the same total, the
   * same comparison as below ({@link SortedDraw#nucleusEnd} keeps the second token iff the best one's weight,
   * exactly 1, is below p · total), so the answer is the draw's whatever the uniform — a trained model's usual
   * step at temperature 0.6 / top-p 0.95 — found in two passes instead of the probe's heap. A row holding NaN,
   * +Infinity or only -Infinity is refused by {@link #argmax} with the messages the full path gives.
   */
  private static int loneNucleus(float[] logits, double invT, double topP) {
    int arg = argmax(logits);
    double max = logits[arg];
    double total = 0;
    for (float x : logits) total += FastExp.exp((x - max) * invT);
    return 1.0 < topP * total ? -1 : arg;
  }

  /** Weights of the selector's m best-first tokens, after checking the top one is samplable. */
  private double[] bestWeights(int vocab, int m, double invT) {
    float max = TopKSelector.logitOf(selector.key(0));
    checkTop(TopKSelector.idOf(selector.key(0)), max, vocab);
    if (candWeights.length < m) candWeights = new double[m];
    double[] w = candWeights;
    for (int j = 0; j < m; j++) w[j] = FastExp.exp((TopKSelector.logitOf(selector.key(j)) - max) * invT);
    return w;
  }

  /** Logprobs from the raw logits: log-softmax of the chosen token and the top-k alternatives. */
  private SampledToken withLogprobs(float[] logits, int token, int k) {
    int m = selector.select(logits, k); // its best key is the max; select(0) selects nothing
    double max = m > 0 ? TopKSelector.logitOf(selector.key(0)) : logits[argmax(logits)];
    double sum = 0;
    for (float x : logits) sum += FastExp.exp(x - max);
    double logZ = max + StrictMath.log(sum);
    int[] ids = new int[m];
    float[] lps = new float[m];
    for (int j = 0; j < m; j++) {
      long key = selector.key(j);
      ids[j] = TopKSelector.idOf(key);
      lps[j] = (float) (TopKSelector.logitOf(key) - logZ);
    }
    return new SampledToken(token, (float) (logits[token] - logZ), ids, lps);
  }

  private static void checkTop(int arg, float max, int vocab) {
    if (arg < 0 || max == Float.NEGATIVE_INFINITY) {
      throw new IllegalArgumentException(
          "no token can be sampled: all " + vocab + " logits are -Infinity");
    }
    if (max == Float.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("logit[" + arg + "] is +Infinity: the model overflowed");
    }
  }

  static IllegalArgumentException nanLogit(int i) {
    return new IllegalArgumentException("logit[" + i + "] is NaN: the model produced a non-number");
  }}
