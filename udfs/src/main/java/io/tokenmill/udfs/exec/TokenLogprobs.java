package io.tokenmill.udfs.exec;

import io.tokenmill.engine.sampling.SampledToken;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's per-token logprobs ({@link SampledToken}, one per output token) as output column values:
 * {@code token_ids} and {@code logprobs} as lists, {@code top_logprobs} as JSON. Null when the row did not ask.
 */
final class TokenLogprobs {

  private TokenLogprobs() {}

  static List<Integer> ids(int[] outputIds) {
    List<Integer> out = new ArrayList<>(outputIds.length);
    for (int id : outputIds) out.add(id);
    return out;
  }

  /** The chosen tokens' logprobs; null for a token the thinking budget forced (the engine reports NaN). */
  static List<Float> chosen(List<SampledToken> tokens) {
    if (tokens == null) return null;
    List<Float> out = new ArrayList<>(tokens.size());
    for (SampledToken t : tokens) out.add(Float.isNaN(t.logprob()) ? null : t.logprob());
    return out;
  }

  /** {@code [[[id, lp], ...], ...]}: per token its top alternatives, best first; null when none were asked. */
  static String topJson(List<SampledToken> tokens) {
    if (tokens == null || tokens.stream().allMatch(t -> t.topIds().length == 0)) return null;
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < tokens.size(); i++) {
      if (i > 0) b.append(',');
      b.append('[');
      int[] ids = tokens.get(i).topIds();
      float[] lps = tokens.get(i).topLogprobs();
      for (int j = 0; j < ids.length; j++) {
        if (j > 0) b.append(',');
        b.append('[').append(ids[j]).append(',').append(Float.isFinite(lps[j]) ? Float.toString(lps[j]) : "null")
            .append(']');
      }
      b.append(']');
    }
    return b.append(']').toString();
  }
}
