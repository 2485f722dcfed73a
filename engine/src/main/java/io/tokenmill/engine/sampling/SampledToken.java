package io.tokenmill.engine.sampling;

import java.util.Arrays;

/**
 * One sampled token, as {@link TokenSampler#sample} returns it to the generation loop.
 *
 * @param tokenId the chosen token
 * @param logprob its log-probability under the RAW model logits (see {@link SamplingParams}); NaN
 *     when logprobs were not requested, so the common path skips a full-vocab softmax
 * @param topIds the top-k alternatives by raw logprob, best first (lowest id on ties); empty when
 *     logprobs were not requested or k = 0. The chosen token may or may not be among them.
 * @param topLogprobs their logprobs, same order and length as {@code topIds}
 */
public record SampledToken(int tokenId, float logprob, int[] topIds, float[] topLogprobs) {

  private static final int[] NO_IDS = new int[0];
  private static final float[] NO_LOGPROBS = new float[0];

  public SampledToken {
    if (topIds.length != topLogprobs.length) {
      throw new IllegalArgumentException(
          "topIds and topLogprobs differ in length: " + topIds.length + " vs " + topLogprobs.length);
    }
    topIds = topIds.length == 0 ? NO_IDS : topIds.clone();
    topLogprobs = topLogprobs.length == 0 ? NO_LOGPROBS : topLogprobs.clone();
  }

  /** A token without logprobs. */
  public static SampledToken of(int tokenId) {
    return new SampledToken(tokenId, Float.NaN, NO_IDS, NO_LOGPROBS);
  }

  @Override
  public int[] topIds() {
    return topIds.length == 0 ? NO_IDS : topIds.clone();
  }

  @Override
  public float[] topLogprobs() {
    return topLogprobs.length == 0 ? NO_LOGPROBS : topLogprobs.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SampledToken t && tokenId == t.tokenId
        && Float.compare(logprob, t.logprob) == 0 && Arrays.equals(topIds, t.topIds)
        && Arrays.equals(topLogprobs, t.topLogprobs);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * tokenId + Float.hashCode(logprob)) + Arrays.hashCode(topIds))
        + Arrays.hashCode(topLogprobs);
  }

  @Override
  public String toString() {
    return "SampledToken{tokenId=" + tokenId + ", logprob=" + logprob + ", topIds="
        + Arrays.toString(topIds) + ", topLogprobs=" + Arrays.toString(topLogprobs) + "}";
  }
}
