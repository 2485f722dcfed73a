package io.tokenmill.udfs.eval;

import java.io.Serializable;

/**
 * Pulls the final answer out of a model's answer text (the text after the think block). Implementations
 * are stateless, so one instance serves every thread of an executor.
 */
@FunctionalInterface
public interface Extractor extends Serializable {

  /** The extracted answer, or null when {@code answer} is null or holds nothing this extractor reads. */
  String extract(String answer);
}
