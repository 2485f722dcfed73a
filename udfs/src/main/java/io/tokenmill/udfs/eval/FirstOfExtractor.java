package io.tokenmill.udfs.eval;

import java.util.List;

/**
 * Tries extractors in order and keeps the first answer found; how {@code auto} is built (e.g. the last
 * box if there is one, else the last number).
 */
public final class FirstOfExtractor implements Extractor {

  private final List<Extractor> inOrder;

  public FirstOfExtractor(Extractor... inOrder) {
    this.inOrder = List.of(inOrder);
  }

  @Override
  public String extract(String answer) {
    for (Extractor extractor : inOrder) {
      String found = extractor.extract(answer);
      if (found != null) return found;
    }
    return null;
  }
}
