package io.tokenmill.udfs.eval.seating;

import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.ADJACENT;
import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.AT_END;
import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.LEFT_OF;
import static io.tokenmill.udfs.eval.seating.SeatingConstraint.Kind.NOT_ADJACENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tokenmill.udfs.eval.AnswerScorer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeatingVerifierTest {

  /** Alice next to Bob, Carol not beside Dan, Dan at an end, Alice left of Carol. */
  private static final SeatingPuzzle ROW = new SeatingPuzzle(
      SeatingLayout.ROW,
      List.of("Alice", "Bob", "Carol", "Dan"),
      List.of(
          SeatingConstraint.pair(ADJACENT, "Alice", "Bob"),
          SeatingConstraint.pair(NOT_ADJACENT, "Carol", "Dan"),
          SeatingConstraint.single(AT_END, "Dan"),
          SeatingConstraint.pair(LEFT_OF, "Alice", "Carol")));

  private static final SeatingVerifier VERIFIER = new SeatingVerifier();

  private static boolean verify(String extracted) {
    return VERIFIER.verify(extracted, ROW.toJson());
  }

  @Test
  void acceptsEveryValidArrangementNotJustOne() {
    // By hand: Dan in seat 4 forces Carol into seat 1 or 2, and then Alice cannot sit left of Carol
    // while beside Bob; Dan in seat 1 pushes Carol to seat 4 with Alice and Bob between, either way.
    assertTrue(verify("Dan, Alice, Bob, Carol"));
    assertTrue(verify("Dan, Bob, Alice, Carol"));
    assertEquals(
        List.of(List.of("Dan", "Alice", "Bob", "Carol"), List.of("Dan", "Bob", "Alice", "Carol")),
        SeatingSolver.solutions(ROW).stream().sorted(java.util.Comparator.comparing(Object::toString)).toList(),
        "the brute-force solver agrees with the hand count");
  }

  @Test
  void rejectsViolatingIncompleteDuplicateAndUnknownArrangements() {
    assertFalse(verify("Bob, Alice, Dan, Carol"), "Dan not at an end");
    assertFalse(verify("Carol, Dan, Alice, Bob"), "Carol left of Alice, beside Dan");
    assertFalse(verify("Dan, Alice, Bob"), "Carol missing");
    assertFalse(verify("Dan, Alice, Bob, Carol, Carol"), "Carol twice");
    assertFalse(verify("Dan, Alice, Alice, Carol"), "Alice twice, Bob missing");
    assertFalse(verify("Dan, Alice, Bobby, Carol"), "unknown guest");
    assertFalse(verify(null));
  }

  @Test
  void readsNamesWrittenLoosely() {
    assertTrue(verify("dan, ALICE, bob, carol"));
    assertTrue(verify("Dan; Alice; Bob; and Carol."));
    assertTrue(verify("1. Dan, 2. Alice, 3. Bob, 4. Carol"));
    assertTrue(verify("Dan -> Alice -> Bob -> Carol"));
    assertTrue(verify("Dan (seat 1), Alice (seat 2), Bob (seat 3), Carol (seat 4)"));
    assertTrue(verify("Dan Alice Bob Carol"));
  }

  @Test
  void tableLayoutIgnoresRotationAndDirection() {
    SeatingPuzzle table = new SeatingPuzzle(
        SeatingLayout.TABLE,
        List.of("Ann", "Ben", "Cy", "Di", "Ed"),
        List.of(
            SeatingConstraint.pair(ADJACENT, "Ann", "Ed"),
            SeatingConstraint.pair(NOT_ADJACENT, "Ann", "Ben"),
            SeatingConstraint.pair(ADJACENT, "Ben", "Cy")));
    String reference = table.toJson();
    assertTrue(VERIFIER.verify("Ann, Cy, Ben, Di, Ed", reference));
    assertTrue(VERIFIER.verify("Cy, Ben, Di, Ed, Ann", reference), "rotated");
    assertTrue(VERIFIER.verify("Ed, Di, Ben, Cy, Ann", reference), "reversed");
    assertFalse(VERIFIER.verify("Ann, Ben, Cy, Di, Ed", reference), "Ann beside Ben (and Ed wraps round)");
    assertThrows(IllegalArgumentException.class, () -> new SeatingPuzzle(
        SeatingLayout.TABLE, List.of("Ann", "Ben", "Cy"), List.of(SeatingConstraint.single(AT_END, "Ann"))));
  }

  @Test
  void extractorFindsTheLabelledSeatingAndCanonicalisesIt() {
    SeatingExtractor extractor = new SeatingExtractor();
    assertEquals("Dan, Alice, Bob, Carol", extractor.extract(
        "Try Alice, Bob, Dan, Carol: no.\nSo:\n**Seating:** Dan, Alice, Bob, and Carol."));
    assertEquals("Dan, Alice, Bob, Carol", extractor.extract("Seating:\n1. Dan\n2. Alice\n3. Bob\n4. Carol\n"));
    assertEquals("Dan, Alice, Bob, Carol", extractor.extract("The order is \\boxed{Dan, Alice, Bob, Carol}"));
    assertEquals("Dan, Alice, Bob, Carol", extractor.extract("Thinking done.\nDan - Alice - Bob - Carol"));
    assertNull(extractor.extract("I could not find a seating."));
    assertNull(extractor.extract(null));
  }

  @Test
  void scorerPairsSeatingExtractionWithTheVerifier() {
    AnswerScorer scorer = AnswerScorer.of("auto", "seating");
    assertTrue(scorer.score("Reasoning...\nSeating: Dan, Bob, Alice, Carol", ROW.toJson()).correct());
    assertFalse(scorer.score("Seating: Carol, Dan, Alice, Bob", ROW.toJson()).correct());
  }

  @Test
  void referenceRoundTripsAndBadReferencesNameTheProblem() {
    assertEquals(ROW, SeatingPuzzle.fromJson(ROW.toJson()));
    assertMessage("layout 'circle'", "{\"layout\":\"circle\",\"guests\":[\"A\",\"B\"]}");
    assertMessage("unknown guest Zed", "{\"guests\":[\"A\",\"B\"],\"constraints\":[{\"type\":\"adjacent\",\"a\":\"A\",\"b\":\"Zed\"}]}");
    assertMessage("'beside'", "{\"guests\":[\"A\",\"B\"],\"constraints\":[{\"type\":\"beside\",\"a\":\"A\",\"b\":\"B\"}]}");
    assertMessage("seat 3", "{\"guests\":[\"A\",\"B\"],\"constraints\":[{\"type\":\"seat\",\"a\":\"A\",\"seat\":3}]}");
    assertMessage("listed twice", "{\"guests\":[\"A\",\"a\"]}");
    assertMessage("malformed", "{\"constraints\":[]}");
    assertMessage("not a JSON object", "Alice, Bob");
  }

  private static void assertMessage(String expectedPart, String reference) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VERIFIER.verify("A, B", reference));
    assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
  }
}
