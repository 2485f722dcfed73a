package io.tokenmill.udfs.exec;

import io.tokenmill.udfs.eval.AnswerScorer;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything an executor needs to turn prompt rows into result rows, shipped once per task: which model
 * on which device, engine sizing, generation defaults, scoring, and the run's identity.
 *
 * @param deviceSpec config key {@code engine.device} (see {@link DeviceChoice})
 * @param modelName the {@code model} column's value
 * @param duplicateFirstPositions ids that occur more than once in the input → the position of the
 *     occurrence that is generated; the others become error rows
 * @param keepPromptText whether the {@code prompt_text} column is filled (config {@code output.prompt_text})
 */
public record RunContext(String modelDir, String modelName, String deviceSpec, String reasoningFormat,
    EngineSettings engine, GenerationSettings generation, AnswerScorer scorer, boolean keepPromptText, String runId,
    Map<String, Long> duplicateFirstPositions) implements Serializable {

  public RunContext {
    duplicateFirstPositions = Map.copyOf(duplicateFirstPositions);
  }

  public EngineCache.Key engineKey(io.tokenmill.engine.runtime.ComputeDevice device) {
    return new EngineCache.Key(Path.of(modelDir).toAbsolutePath().normalize(), device, engine, reasoningFormat);
  }

  public RunContext withDuplicates(Map<String, Long> duplicates) {
    return new RunContext(modelDir, modelName, deviceSpec, reasoningFormat, engine, generation, scorer,
        keepPromptText, runId, duplicates);
  }
}
