package io.tokenmill.udfs.spark;

import org.apache.spark.sql.api.java.UDF4;

/** {@code tm_correct(answer, reference, extractor, verifier)}: see {@link AnswerUdfs}. */
final class CorrectFunction implements UDF4<String, String, String, String, Boolean> {

  private static final long serialVersionUID = 1L;

  @Override
  public Boolean call(String answer, String reference, String extractorSpec, String verifierName) {
    return ScorerCache.get(extractorSpec, verifierName).score(answer, reference).correct();
  }
}
