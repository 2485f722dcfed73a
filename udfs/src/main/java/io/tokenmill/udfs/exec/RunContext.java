package io.tokenmill.udfs.exec;

import io.tokenmill.udfs.eval.AnswerScorer;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Everything an executor needs to turn prompt rows into result rows, shipped once per task: which model
 * on which device, engine sizing, generation defaults, scoring, and the run's identity.
 *
 * @param deviceSpec config key {@code engine.device} (see {@link DeviceChoice})
 * @param modelName the {@code model} column's value
 * @param committedSamples ids some (not all) of whose samples an earlier run already committed → those
 *     samples: on resume the prompt is generated again (sampling is deterministic per id and sample) and
 *     only the missing samples are emitted, so every (id, sample) key is written exactly once
 * @param keepPromptText whether the {@code prompt_text} column is filled (config {@code output.prompt_text})
 */
public record RunContext(String modelDir, String modelName, String deviceSpec, String reasoningFormat,
    EngineSettings engine, GenerationSettings generation, AnswerScorer scorer, boolean keepPromptText, String runId,
    Map<String, Set<Integer>> committedSamples) implements Serializable {

  public RunContext {
    Map<String, Set<Integer>> copy = new HashMap<>();
    committedSamples.forEach((id, samples) -> copy.put(id, Set.copyOf(samples)));
    committedSamples = Map.copyOf(copy);
  }

  public EngineCache.Key engineKey(io.tokenmill.engine.runtime.ComputeDevice device) {
    return new EngineCache.Key(Path.of(modelDir).toAbsolutePath().normalize(), device, engine, reasoningFormat);
  }

  public RunContext withCommittedSamples(Map<String, Set<Integer>> committed) {
    return new RunContext(modelDir, modelName, deviceSpec, reasoningFormat, engine, generation, scorer,
        keepPromptText, runId, committed);
  }

  /** Samples of {@code id} an earlier run already committed (empty for most ids). */
  public Set<Integer> committedSamplesOf(String id) {
    return committedSamples.getOrDefault(id, Set.of());
  }
}
