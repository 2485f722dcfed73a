package io.tokenmill.engine.sampling;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Test oracle: the sampling pipeline written straight from its definition, with no performance
 * tricks (copy the logits, sort the whole vocabulary, Math.exp, divide by T), so that
 * {@link TokenSampler}'s fast paths can be checked against it.
 */
final class ReferenceSampler {

  private ReferenceSampler() {}

  /** Penalised copy of the logits (HF repetition, then OpenAI frequency and presence). */
  static float[] penalised(float[] logits, SamplingParams p, TokenCounts h) {
    float[] l = logits.clone();
    if (h == null) return l;
    for (int id = 0; id < l.length; id++) {
      if (!h.seen(id)) continue;
      float rp = (float) p.repetitionPenalty();
      if (rp != 1f) l[id] = l[id] > 0 ? l[id] / rp : l[id] * rp;
      int c = h.outputCount(id);
      if (c > 0) {
        l[id] -= (float) p.frequencyPenalty() * c;
        l[id] -= (float) p.presencePenalty();
      }
    }
    return l;
  }

  /** The distribution the next token is drawn from (one-hot for greedy). */
  static double[] probabilities(float[] logits, SamplingParams p, TokenCounts h) {
    float[] l = penalised(logits, p, h);
    double[] probs = new double[l.length];
    Integer[] order = order(l);
    if (p.isGreedy()) {
      probs[order[0]] = 1;
      return probs;
    }
    double[] w = new double[l.length];
    double max = l[order[0]];
    for (int j = 0; j < l.length; j++) w[j] = Math.exp((l[order[j]] - max) / p.temperature());
    int m = p.topK() > 0 ? Math.min(p.topK(), l.length) : l.length;
    if (p.topP() < 1) {
      double z = 0;
      for (int j = 0; j < m; j++) z += w[j];
      double s = 0;
      for (int j = 0; j < m; j++) {
        if (s >= p.topP() * z) {
          m = j;
          break;
        }
        s += w[j];
      }
    }
    if (p.minP() > 0) {
      for (int j = 0; j < m; j++) {
        if (w[j] < p.minP() * w[0]) {
          m = j;
          break;
        }
      }
    }
    double total = 0;
    for (int j = 0; j < m; j++) total += w[j];
    for (int j = 0; j < m; j++) probs[order[j]] = w[j] / total;
    return probs;
  }

  /**
   * The token the draw u selects: the survivors' probabilities laid out in ascending id order, the
   * first whose running mass exceeds u.
   */
  static int sample(float[] logits, SamplingParams p, TokenCounts h, double u) {
    return prepare(logits, p, h).draw(u);
  }

  /** The distribution, computed once so that many draws are cheap. */
  static Prepared prepare(float[] logits, SamplingParams p, TokenCounts h) {
    double[] probs = probabilities(logits, p, h);
    int[] walk = new int[logits.length];
    for (int i = 0; i < walk.length; i++) walk[i] = i;
    return new Prepared(probs, walk);
  }

  record Prepared(double[] probs, int[] walk) {
    int draw(double u) {
      double s = 0;
      int last = -1;
      for (int id : walk) {
        if (probs[id] == 0) continue;
        s += probs[id];
        last = id;
        if (s > u) return id;
      }
      return last;
    }
  }

  /** Token ids best first: higher logit, then lower id. */
  static Integer[] order(float[] l) {
    Integer[] ids = new Integer[l.length];
    for (int i = 0; i < ids.length; i++) ids[i] = i;
    Arrays.sort(ids, Comparator.<Integer>comparingDouble(i -> -l[i]).thenComparingInt(i -> i));
    return ids;
  }

  /** log-softmax of the raw logits, in double. */
  static double[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float x : logits) max = Math.max(max, x);
    double sum = 0;
    for (float x : logits) sum += Math.exp(x - max);
    double logZ = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < out.length; i++) out[i] = logits[i] - logZ;
    return out;
  }
}
