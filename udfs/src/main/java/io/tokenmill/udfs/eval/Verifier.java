package io.tokenmill.udfs.eval;

import java.io.Serializable;

/**
 * Decides whether an extracted answer matches a row's reference. Implementations are stateless and
 * thread-safe.
 */
public interface Verifier extends Serializable {

  /**
   * Whether {@code extracted} matches {@code reference}; false when {@code extracted} is null.
   *
   * @throws IllegalArgumentException when {@code reference} is not something this verifier can read
   *     (a data error, e.g. a numeric verifier over a letter reference), naming the problem
   */
  boolean verify(String extracted, String reference);

  /** The extractor that {@code eval.extractor: auto} means when paired with this verifier. */
  Extractor defaultExtractor();
}
