package io.tokenmill.engine.sampling;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What the user asked for when decoding one prompt: immutable and validated. Built by the job layer
 * (from job settings over {@code generation_config.json} defaults) and read by {@link TokenSampler}
 * once per sequence per step, and by the scheduler for n, maxNewTokens, stops and EOS handling.
 *
 * <p>Order of processing, per step (the HF / vLLM order):
 *
 * <ol>
 *   <li>penalties, on the raw logits: repetition (HF: over prompt + output tokens, logit &gt; 0 is
 *       divided, otherwise multiplied), then frequency ({@code -= f * count}) and presence
 *       ({@code -= p} once) over OUTPUT tokens only (OpenAI / vLLM);
 *   <li>temperature (below {@link #GREEDY_TEMPERATURE} the step is greedy: argmax of the penalised
 *       logits, lowest id on ties; top-k/p and min-p are then irrelevant);
 *   <li>top-k, then top-p over the renormalised top-k set, then min-p (HF order; note vLLM applies
 *       min-p before top-k/top-p, which gives a different nucleus when both min-p and top-p are set);
 *   <li>one draw from the renormalised survivors.
 * </ol>
 *
 * <p>Tie and boundary rules: tokens are ranked by logit, then by lower id. Top-k keeps exactly k
 * tokens (HF and vLLM keep every token tied with the k-th logit). Top-p keeps a token iff the mass
 * ranked strictly before it is below p (HF's rule), so on an exact boundary the next token is out.
 * min-p keeps p_i &ge; minP * p_max.
 *
 * <p>Logprobs (when requested) are the log-softmax of the RAW model logits, before penalties and
 * temperature: vLLM's default {@code raw_logprobs} mode, so that they measure the model, not the
 * sampling recipe, and are comparable across requests with different settings.
 */
public final class SamplingParams {

  /** Temperatures below this are treated as greedy, as vLLM does: the softmax is the argmax anyway. */
  public static final double GREEDY_TEMPERATURE = 1e-5;

  /** Default output budget when the user gives none; vLLM's default, deliberately small. */
  public static final int DEFAULT_MAX_NEW_TOKENS = 16;

  /** Greedy decoding with every other option at its default. */
  public static final SamplingParams GREEDY = builder().optTemperature(0).build();

  private final double temperature;
  private final int topK;
  private final double topP;
  private final double minP;
  private final double repetitionPenalty;
  private final double presencePenalty;
  private final double frequencyPenalty;
  private final long seed;
  private final int n;
  private final int maxNewTokens;
  private final List<String> stopStrings;
  private final int[] stopTokenIds;
  private final boolean ignoreEos;
  private final Integer logprobs;
  private final int minTokens;

  private SamplingParams(Builder b) {
    temperature = b.temperature;
    topK = b.topK;
    topP = b.topP;
    minP = b.minP;
    repetitionPenalty = b.repetitionPenalty;
    presencePenalty = b.presencePenalty;
    frequencyPenalty = b.frequencyPenalty;
    seed = b.seed;
    n = b.n;
    maxNewTokens = b.maxNewTokens;
    stopStrings = List.copyOf(b.stopStrings);
    stopTokenIds = b.stopTokenIds.clone();
    ignoreEos = b.ignoreEos;
    logprobs = b.logprobs;
    minTokens = b.minTokens;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder preset with these values, to derive a variant. */
  public Builder toBuilder() {
    return new Builder().optTemperature(temperature).optTopK(topK).optTopP(topP).optMinP(minP)
        .optRepetitionPenalty(repetitionPenalty).optPresencePenalty(presencePenalty)
        .optFrequencyPenalty(frequencyPenalty).optSeed(seed).optN(n).optMaxNewTokens(maxNewTokens)
        .optStopStrings(stopStrings).optStopTokenIds(stopTokenIds).optIgnoreEos(ignoreEos)
        .optLogprobs(logprobs).optMinTokens(minTokens);
  }

  public double temperature() { return temperature; }
  public int topK() { return topK; }
  public double topP() { return topP; }
  public double minP() { return minP; }
  public double repetitionPenalty() { return repetitionPenalty; }
  public double presencePenalty() { return presencePenalty; }
  public double frequencyPenalty() { return frequencyPenalty; }
  public long seed() { return seed; }
  public int n() { return n; }
  public int maxNewTokens() { return maxNewTokens; }
  public List<String> stopStrings() { return stopStrings; }
  public int[] stopTokenIds() { return stopTokenIds.clone(); }
  public boolean ignoreEos() { return ignoreEos; }
  /** null: no logprobs; k &ge; 0: the chosen token's logprob plus the top-k alternatives. */
  public Integer logprobs() { return logprobs; }
  /**
   * Output tokens before which EOS and the stop token ids cannot be sampled (their logits are masked, as
   * vLLM's {@code min_tokens} does); 0 = off. Stop strings and the answer budget still apply.
   */
  public int minTokens() { return minTokens; }

  public boolean isGreedy() {
    return temperature < GREEDY_TEMPERATURE;
  }

  /** Whether any penalty changes the logits, so the sampler needs the token history. */
  public boolean hasPenalties() {
    return repetitionPenalty != 1.0 || presencePenalty != 0.0 || frequencyPenalty != 0.0;
  }

  @Override
  public String toString() {
    return "SamplingParams{temperature=" + temperature + ", topK=" + topK + ", topP=" + topP
        + ", minP=" + minP + ", repetitionPenalty=" + repetitionPenalty + ", presencePenalty="
        + presencePenalty + ", frequencyPenalty=" + frequencyPenalty + ", seed=" + seed + ", n=" + n
        + ", maxNewTokens=" + maxNewTokens + ", stopStrings=" + stopStrings + ", stopTokenIds="
        + Arrays.toString(stopTokenIds) + ", ignoreEos=" + ignoreEos + ", logprobs=" + logprobs + ", minTokens=" + minTokens + "}";
  }

  /** DJL-style builder: {@code opt*} setters, {@link #build()} validates everything at once. */
  public static final class Builder {
    private double temperature = 1.0;
    private int topK = 0;
    private double topP = 1.0;
    private double minP = 0.0;
    private double repetitionPenalty = 1.0;
    private double presencePenalty = 0.0;
    private double frequencyPenalty = 0.0;
    private long seed = 0L;
    private int n = 1;
    private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
    private List<String> stopStrings = List.of();
    private int[] stopTokenIds = new int[0];
    private boolean ignoreEos = false;
    private Integer logprobs = null;
    private int minTokens = 0;

    private Builder() {}

    public Builder optTemperature(double v) { temperature = v; return this; }
    public Builder optTopK(int v) { topK = v; return this; }
    public Builder optTopP(double v) { topP = v; return this; }
    public Builder optMinP(double v) { minP = v; return this; }
    public Builder optRepetitionPenalty(double v) { repetitionPenalty = v; return this; }
    public Builder optPresencePenalty(double v) { presencePenalty = v; return this; }
    public Builder optFrequencyPenalty(double v) { frequencyPenalty = v; return this; }
    public Builder optSeed(long v) { seed = v; return this; }
    public Builder optN(int v) { n = v; return this; }
    public Builder optMaxNewTokens(int v) { maxNewTokens = v; return this; }
    public Builder optIgnoreEos(boolean v) { ignoreEos = v; return this; }
    public Builder optLogprobs(Integer v) { logprobs = v; return this; }
    public Builder optMinTokens(int v) { minTokens = v; return this; }

    public Builder optStopStrings(List<String> v) {
      // Copied element by element because List.copyOf would throw on a null element before build()
      // could name the field.
      stopStrings = v == null ? null : Arrays.asList(v.toArray(new String[0]));
      return this;
    }

    public Builder optStopTokenIds(int... v) {
      stopTokenIds = v == null ? null : v.clone();
      return this;
    }

    /** Validates every field; the message names the field, the allowed range and the bad value. */
    public SamplingParams build() {
      // Each check states what is allowed, so NaN (false under every comparison) is rejected too.
      require(temperature >= 0 && temperature != Double.POSITIVE_INFINITY, "temperature",
          "must be >= 0 and finite (0 = greedy)", temperature);
      require(topK >= 0, "topK", "must be >= 0 (0 = off)", topK);
      require(topP > 0 && topP <= 1, "topP", "must be in (0, 1] (1 = off)", topP);
      require(minP >= 0 && minP <= 1, "minP", "must be in [0, 1] (0 = off)", minP);
      require(repetitionPenalty > 0 && repetitionPenalty != Double.POSITIVE_INFINITY,
          "repetitionPenalty", "must be > 0 and finite (1 = off)", repetitionPenalty);
      require(presencePenalty >= -2 && presencePenalty <= 2, "presencePenalty",
          "must be in [-2, 2] (0 = off)", presencePenalty);
      require(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequencyPenalty",
          "must be in [-2, 2] (0 = off)", frequencyPenalty);
      require(n >= 1, "n", "must be >= 1", n);
      require(maxNewTokens >= 1, "maxNewTokens", "must be >= 1", maxNewTokens);
      require(stopStrings != null, "stopStrings", "must not be null (use an empty list)", null);
      for (int i = 0; i < stopStrings.size(); i++) {
        String s = stopStrings.get(i);
        require(s != null && !s.isEmpty(), "stopStrings[" + i + "]",
            "must be a non-empty string (an empty stop string would stop at once)",
            s == null ? null : "\"\"");
      }
      require(stopTokenIds != null, "stopTokenIds", "must not be null (use an empty array)", null);
      for (int i = 0; i < stopTokenIds.length; i++) {
        require(stopTokenIds[i] >= 0, "stopTokenIds[" + i + "]", "must be >= 0", stopTokenIds[i]);
      }
      require(logprobs == null || logprobs >= 0, "logprobs", "must be null (none) or >= 0", logprobs);
      require(minTokens >= 0, "minTokens", "must be >= 0 (0 = off)", minTokens);
      return new SamplingParams(this);
    }

    private static void require(boolean ok, String field, String rule, Object got) {
      if (!ok) throw new IllegalArgumentException(field + " " + rule + ", got " + got);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SamplingParams s)) return false;
    return Double.compare(temperature, s.temperature) == 0 && topK == s.topK
        && Double.compare(topP, s.topP) == 0 && Double.compare(minP, s.minP) == 0
        && Double.compare(repetitionPenalty, s.repetitionPenalty) == 0
        && Double.compare(presencePenalty, s.presencePenalty) == 0
        && Double.compare(frequencyPenalty, s.frequencyPenalty) == 0 && seed == s.seed && n == s.n
        && maxNewTokens == s.maxNewTokens && stopStrings.equals(s.stopStrings)
        && Arrays.equals(stopTokenIds, s.stopTokenIds) && ignoreEos == s.ignoreEos
        && Objects.equals(logprobs, s.logprobs) && minTokens == s.minTokens;
  }

  @Override
  public int hashCode() {
    return Objects.hash(temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
        frequencyPenalty, seed, n, maxNewTokens, stopStrings, Arrays.hashCode(stopTokenIds),
        ignoreEos, logprobs, minTokens);
  }
}
