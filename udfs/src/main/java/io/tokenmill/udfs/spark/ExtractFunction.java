package io.tokenmill.udfs.spark;

import org.apache.spark.sql.api.java.UDF2;

/** {@code tm_extract(answer, extractor)}: see {@link AnswerUdfs}. */
final class ExtractFunction implements UDF2<String, String, String> {

  private static final long serialVersionUID = 1L;

  @Override
  public String call(String answer, String extractorSpec) {
    return ScorerCache.get(extractorSpec, null).extract(answer);
  }
}
