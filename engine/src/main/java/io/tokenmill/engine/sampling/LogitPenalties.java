package io.tokenmill.engine.sampling;

/**
 * Applies repetition, frequency and presence penalties to a logits row IN PLACE and puts the
 * original values back afterwards. Used by {@link TokenSampler} around one sampling step.
 *
 * <p>Why in place: penalties touch only the few thousand tokens in the history, while copying a
 * 152k-float row per sequence per step would cost more than the penalties themselves. Saving the
 * touched entries and restoring them leaves the caller's array unchanged when the step returns, and
 * lets logprobs be computed from the raw values.
 *
 * <p>Semantics (float arithmetic, as HF and vLLM do on float32 logits): repetition penalty over
 * prompt + output tokens, positive logits divided and others multiplied (HF); then, for tokens in
 * the output, {@code logit -= frequencyPenalty * count} and {@code logit -= presencePenalty}
 * (OpenAI / vLLM, applied in that order).
 */
final class LogitPenalties {

  private int[] savedIds = new int[0];
  private float[] savedValues = new float[0];
  private int saved;

  /** Penalises the row; every entry it changes is recorded for {@link #restore}, even on failure. */
  void apply(float[] logits, SamplingParams p, TokenCounts history) {
    saved = 0;
    int n = history.distinctCount();
    if (savedIds.length < n) {
      savedIds = new int[n];
      savedValues = new float[n];
    }
    float rep = (float) p.repetitionPenalty();
    float freq = (float) p.frequencyPenalty();
    float pres = (float) p.presencePenalty();
    for (int j = 0; j < n; j++) {
      int id = history.idAt(j);
      if (id >= logits.length) {
        throw new IllegalArgumentException(
            "history token " + id + " is outside the vocabulary of " + logits.length + " logits");
      }
      float l = logits[id];
      savedIds[saved] = id;
      savedValues[saved++] = l;
      if (rep != 1f) l = l > 0 ? l / rep : l * rep;
      int count = history.outputCountAt(j);
      if (count > 0) {
        l -= freq * count;
        l -= pres;
      }
      logits[id] = l;
    }
  }

  /** Puts back every entry changed by the last {@link #apply}. */
  void restore(float[] logits) {
    for (int j = 0; j < saved; j++) logits[savedIds[j]] = savedValues[j];
    saved = 0;
  }
}
