package io.tokenmill.udfs.exec;

import io.tokenmill.engine.inference.ReasoningOptions;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.udfs.rows.InputNormalizer;
import io.tokenmill.udfs.rows.PromptRow;
import java.io.Serializable;
import java.util.List;

/**
 * Config keys {@code generation.*}: the job's sampling and reasoning defaults. A row's overrides
 * ({@link PromptRow.Overrides}) replace single fields; {@link #paramsFor} applies them and range-checks
 * the result, naming the column of a bad value.
 *
 * @param thinkingBudget null = unlimited reasoning; 0 = answer at once (the think block is closed before the
 *     first sampled token)
 * @param answerBudget null = only max_new_tokens bounds the answer after a forced end of thinking
 * @param stopTokenIds token ids that end a sample, like EOS (the id is output but not text)
 * @param minTokens output tokens before EOS or a stop token id may end a sample (0 = off)
 * @param logprobs whether rows carry each output token's log-probability
 * @param topLogprobs with logprobs, the N most likely tokens at each position (0 = none)
 */
public record GenerationSettings(int maxNewTokens, double temperature, double topP, int topK, double minP,
    double repetitionPenalty, double presencePenalty, double frequencyPenalty, int n, long seed, List<String> stop,
    boolean enableThinking, Integer thinkingBudget, Integer answerBudget, String transitionText,
    List<Integer> stopTokenIds, int minTokens, boolean logprobs, int topLogprobs) implements Serializable {

  public GenerationSettings {
    stop = List.copyOf(stop);
    stopTokenIds = List.copyOf(stopTokenIds);
    for (int id : stopTokenIds) {
      if (id < 0) throw new IllegalArgumentException("generation.stop_token_ids must hold token ids >= 0, got " + id);
    }
    if (minTokens < 0) throw new IllegalArgumentException("generation.min_tokens must be >= 0, got " + minTokens);
    if (topLogprobs < 0 || topLogprobs > InputNormalizer.MAX_TOP_LOGPROBS) {
      throw new IllegalArgumentException("generation.top_logprobs must be in [0, " + InputNormalizer.MAX_TOP_LOGPROBS
          + "], got " + topLogprobs);
    }
    if (topLogprobs > 0 && !logprobs) {
      throw new IllegalArgumentException("generation.top_logprobs " + topLogprobs + " needs generation.logprobs: true");
    }
    if (n < 1) throw new IllegalArgumentException("generation.n must be >= 1, got " + n);
    if (maxNewTokens < 1) throw new IllegalArgumentException("generation.max_new_tokens must be >= 1");
    if (thinkingBudget != null && thinkingBudget < 0) {
      throw new IllegalArgumentException("generation.thinking_budget must be >= 0 (0 = answer at once) or null (unlimited)");
    }
    if (answerBudget != null && answerBudget < 1) {
      throw new IllegalArgumentException("generation.answer_budget must be >= 1 or null");
    }
    if (!(temperature >= 0 && temperature <= 100)) {
      throw new IllegalArgumentException("generation.temperature must be in [0, 100], got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("generation.top_p must be in (0, 1], got " + topP);
    try { // the sampler's own checks (top_k, min_p, penalties, stop strings), once, on the driver
      SamplingParams.builder().optTopK(topK).optMinP(minP).optRepetitionPenalty(repetitionPenalty)
          .optPresencePenalty(presencePenalty).optFrequencyPenalty(frequencyPenalty).optStopStrings(stop).build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("generation: " + e.getMessage(), e);
    }
  }

  /**
   * Sampling parameters for one row; {@code maxNewTokensCap} is what the context leaves after the prompt.
   *
   * @throws IllegalArgumentException naming the override column (or config key) whose value is out of range
   */
  public SamplingParams paramsFor(PromptRow.Overrides o, int maxNewTokensCap) {
    int maxNew = o.maxNewTokens() != null ? o.maxNewTokens() : maxNewTokens;
    double temp = o.temperature() != null ? o.temperature() : temperature;
    double p = o.topP() != null ? o.topP() : topP;
    String src = o == PromptRow.Overrides.NONE ? "generation." : "";
    if (maxNew < 1) throw new IllegalArgumentException(src + "max_new_tokens must be >= 1, got " + maxNew);
    if (!(temp >= 0 && temp <= 100)) throw new IllegalArgumentException(src + "temperature must be in [0, 100], got " + temp);
    if (!(p > 0 && p <= 1)) throw new IllegalArgumentException(src + "top_p must be in (0, 1], got " + p);
    if (o.thinkingBudget() != null && o.thinkingBudget() < 0) {
      throw new IllegalArgumentException("thinking_budget must be >= 0 (0 = answer at once), got " + o.thinkingBudget());
    }
    return SamplingParams.builder()
        .optMaxNewTokens(Math.min(maxNew, maxNewTokensCap))
        .optTemperature(temp)
        .optTopP(p)
        .optTopK(topK)
        .optMinP(minP)
        .optRepetitionPenalty(repetitionPenalty)
        .optPresencePenalty(presencePenalty)
        .optFrequencyPenalty(frequencyPenalty)
        .optN(n)
        .optSeed(o.seed() != null ? o.seed() : seed)
        .optStopStrings(stop)
        .optStopTokenIds((o.stopTokenIds() != null ? o.stopTokenIds() : stopTokenIds).stream()
            .mapToInt(Integer::intValue).toArray())
        .optMinTokens(o.minTokens() != null ? o.minTokens() : minTokens)
        .optLogprobs(o.topLogprobs() != null ? o.topLogprobs() : logprobs ? Integer.valueOf(topLogprobs) : null)
        .build();
  }

  /** Reasoning options for one row (its thinking_budget override, else the job's). */
  public ReasoningOptions reasoningFor(PromptRow.Overrides o) {
    Integer budget = o.thinkingBudget() != null ? o.thinkingBudget() : thinkingBudget;
    return new ReasoningOptions(enableThinking, budget, answerBudget,
        transitionText == null ? ReasoningOptions.DEFAULT_TRANSITION : transitionText);
  }
}
