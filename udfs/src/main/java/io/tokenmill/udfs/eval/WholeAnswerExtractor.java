package io.tokenmill.udfs.eval;

/** {@code none}: the whole answer, trimmed; null when it is null or blank. */
public final class WholeAnswerExtractor implements Extractor {

  @Override
  public String extract(String answer) {
    if (answer == null || answer.isBlank()) return null;
    return answer.trim();
  }
}
