package io.tokenmill.udfs.rows;

import io.tokenmill.engine.tokenizer.ChatMessage;
import java.io.Serializable;
import java.util.List;

/**
 * One input row after normalisation, the same for every runner and input format: a key, where it sat in
 * the input, what to ask (a plain {@code prompt} or chat {@code messages}, optional {@code system}), the
 * expected answer and the row's own generation overrides. {@code inputError} is set when the row is
 * already known to be bad (unreadable messages, a duplicate id, a non-numeric override); such a row
 * becomes an output row with that error and never reaches the engine.
 *
 * @param position the row's index in the input (ties between duplicate ids go to the lowest)
 * @param bucket a stable hash bucket of the id in [0, {@link #BUCKETS}); waves are {@code bucket % waves}
 */
public record PromptRow(
    String id,
    long position,
    int bucket,
    String prompt,
    List<ChatMessage> messages,
    String system,
    String reference,
    Overrides overrides,
    String inputError) implements Serializable {

  /** Hash buckets an id maps to; a run's waves partition them. */
  public static final int BUCKETS = 1 << 20;

  public PromptRow {
    messages = messages == null ? null : List.copyOf(messages);
    overrides = overrides == null ? Overrides.NONE : overrides;
  }

  /** The same row marked bad; the error names the problem. */
  public PromptRow withError(String error) {
    return new PromptRow(id, position, bucket, prompt, messages, system, reference, overrides, error);
  }

  /** Wave this row belongs to when a run is cut into {@code waves} waves. */
  public int wave(int waves) {
    return bucket % waves;
  }

  /**
   * Per-row generation overrides; null fields fall back to the job's generation settings.
   *
   * @param topLogprobs a row's {@code top_logprobs}: logprobs for this row with that many alternatives per token
   * @param stopTokenIds a row's {@code stop_token_ids}, replacing the job's list
   */
  public record Overrides(Integer maxNewTokens, Double temperature, Double topP, Long seed, Integer thinkingBudget,
      Integer minTokens, Integer topLogprobs, List<Integer> stopTokenIds) implements Serializable {
    public static final Overrides NONE = new Overrides(null, null, null, null, null);

    public Overrides {
      stopTokenIds = stopTokenIds == null ? null : List.copyOf(stopTokenIds);
    }

    /** The overrides that existed before min_tokens, top_logprobs and stop_token_ids. */
    public Overrides(Integer maxNewTokens, Double temperature, Double topP, Long seed, Integer thinkingBudget) {
      this(maxNewTokens, temperature, topP, seed, thinkingBudget, null, null, null);
    }
  }
}
