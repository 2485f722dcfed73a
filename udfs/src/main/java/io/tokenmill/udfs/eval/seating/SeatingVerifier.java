package io.tokenmill.udfs.eval.seating;

import io.tokenmill.udfs.eval.Extractor;
import io.tokenmill.udfs.eval.Verifier;

/**
 * {@code seating}: the extracted seating (names in order, as the {@code seating} extractor writes them;
 * case ignored) seats every guest of the reference puzzle exactly once and obeys all its constraints.
 * Any such arrangement is right — the reference holds the rules ({@link SeatingPuzzle}), not one
 * solution. A reference that is not a valid puzzle is a data error.
 */
public final class SeatingVerifier implements Verifier {

  @Override
  public boolean verify(String extracted, String reference) {
    SeatingPuzzle puzzle = SeatingPuzzle.fromJson(reference);
    if (extracted == null) return false;
    return puzzle.isSolvedBy(puzzle.canonicalNames(SeatingList.names(extracted)));
  }

  @Override
  public Extractor defaultExtractor() {
    return new SeatingExtractor();
  }
}
