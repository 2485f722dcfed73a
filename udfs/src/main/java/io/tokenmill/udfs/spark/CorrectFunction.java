package io.tokenmill.udfs.spark;

import org.apache.spark.sql.api.java.UDF4;

/**
 * {@code tm_correct(answer, reference, extractor, verifier)}: see {@link AnswerUdfs}. A reference the verifier
 * cannot read gives null for that row (as the job's {@code correct} column does) instead of failing the query.
 */
final class CorrectFunction implements UDF4<String, String, String, String, Boolean> {

  private static final long serialVersionUID = 1L;

  @Override
  public Boolean call(String answer, String reference, String extractorSpec, String verifierName) {
    io.tokenmill.udfs.eval.AnswerScorer scorer = ScorerCache.get(extractorSpec, verifierName); // bad specs fail
    try {
      return scorer.score(answer, reference).correct();
    } catch (IllegalArgumentException unreadableReference) {
      return null;
    }
  }
}
