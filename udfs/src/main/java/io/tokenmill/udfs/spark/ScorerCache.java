package io.tokenmill.udfs.spark;

import io.tokenmill.udfs.eval.AnswerScorer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link AnswerScorer} per (extractor, verifier) pair per JVM, so the SQL functions do not parse
 * specs and compile patterns on every row. NOTE: specs are usually literals, but SQL lets them be
 * columns; the cache is cleared past {@value #MAX_ENTRIES} pairs instead of growing without bound.
 */
final class ScorerCache {

  static final int MAX_ENTRIES = 256;

  private record Key(String extractor, String verifier) {}

  private static final Map<Key, AnswerScorer> SCORERS = new ConcurrentHashMap<>();

  private ScorerCache() {}

  static AnswerScorer get(String extractorSpec, String verifierName) {
    if (SCORERS.size() >= MAX_ENTRIES) SCORERS.clear();
    return SCORERS.computeIfAbsent(
        new Key(extractorSpec, verifierName), k -> AnswerScorer.of(k.extractor(), k.verifier()));
  }
}
