package io.tokenmill.engine.inference;

import io.tokenmill.engine.sampling.SamplingParams;
import java.util.Objects;

/**
 * One prompt to generate {@code params.n()} samples for. The id keys the samples' random draws (with
 * the seed and sample index), so the same request gives the same tokens wherever and however often it runs.
 */
public record GenerationRequest(String id, int[] promptIds, SamplingParams params, ReasoningOptions reasoning) {

  public GenerationRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(promptIds, "promptIds");
    Objects.requireNonNull(params, "params");
    if (reasoning == null) reasoning = ReasoningOptions.DEFAULT;
    if (promptIds.length == 0) throw new IllegalArgumentException("request " + id + ": empty prompt");
    promptIds = promptIds.clone();
  }

  public GenerationRequest(String id, int[] promptIds, SamplingParams params) {
    this(id, promptIds, params, ReasoningOptions.DEFAULT);
  }

  @Override
  public int[] promptIds() {
    return promptIds.clone();
  }
}
