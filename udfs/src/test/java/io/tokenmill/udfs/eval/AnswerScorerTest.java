package io.tokenmill.udfs.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class AnswerScorerTest {

  @Test
  void scoresExtractionAgainstTheReference() {
    AnswerScorer scorer = AnswerScorer.of("auto", "numeric");
    assertEquals(new Score("1,250", true), scorer.score("So she pays \\boxed{1,250}.", "1250"));
    assertEquals(new Score("7", false), scorer.score("I count 7.", "8"));
  }

  @Test
  void nullReferenceLeavesCorrectNull() {
    AnswerScorer scorer = AnswerScorer.of("last_number", "numeric");
    assertEquals(new Score("7", null), scorer.score("I count 7.", null));
    assertEquals(new Score(null, null), scorer.score(null, null));
  }

  @Test
  void nullOrEmptyAnswerIsWrongWhenThereIsAReference() {
    AnswerScorer scorer = AnswerScorer.of("choice", "choice");
    assertEquals(new Score(null, false), scorer.score(null, "B"));
    assertEquals(new Score(null, false), scorer.score("I am not sure.", "B"));
  }

  /** The first puzzle of data-samples/prompts/seating-heldout.jsonl: Eve not at an end, Bob left of Alice. */
  private static final String SEATING = "{\"layout\":\"row\",\"guests\":[\"Alice\",\"Bob\",\"Eve\"],"
      + "\"constraints\":[{\"type\":\"not_at_end\",\"a\":\"Eve\"},{\"type\":\"left_of\",\"a\":\"Bob\",\"b\":\"Alice\"}]}";

  @Test
  void autoScoresSeatingReferencesAsSeatingAndTheRestAsBefore() {
    AnswerScorer auto = AnswerScorer.of("auto", "auto");
    Score right = auto.score("Bob goes first.\nSeating: Bob, Eve, Alice", SEATING);
    assertEquals(true, right.correct(), right.toString());
    assertEquals(false, auto.score("Seating: Eve, Bob, Alice", SEATING).correct()); // Eve at an end
    assertEquals(false, auto.score("The answer is 42.", SEATING).correct());
    assertEquals(new Score("42", true), auto.score("The answer is 42.", "42")); // numbers as before
    // an explicit verifier is not second-guessed: exact compares the texts
    assertEquals(false, AnswerScorer.of("none", "exact").score("Seating: Bob, Eve, Alice", SEATING).correct());
  }

  @Test
  void nullSpecsMeanAuto() {
    assertEquals(new Score("3", true), AnswerScorer.of(null, null).score("2 then 3", "3.0"));
  }

  @Test
  void badConfigNamesTheKeyTheValueAndTheAllowedValues() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AnswerScorer.of("lastnumber", "numeric"));
    assertTrue(e.getMessage().startsWith("eval.extractor 'lastnumber' is not one of auto, boxed"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AnswerScorer.of("auto", "nummeric"));
    assertTrue(e.getMessage().startsWith("eval.verifier 'nummeric' is not one of auto, exact"), e.getMessage());
  }

  @Test
  void survivesJavaSerialization() throws Exception {
    assertEquals(new Score("12", true), roundTrip(AnswerScorer.of("regex:=\\s*(\\d+)", "numeric")).score("x = 12", "12"));
    for (String verifier : Verifiers.names()) {
      for (String extractor : Extractors.names()) {
        AnswerScorer copy = roundTrip(AnswerScorer.of(extractor, verifier));
        assertEquals(AnswerScorer.of(extractor, verifier).extract("Answer: B, \\boxed{4}"), copy.extract("Answer: B, \\boxed{4}"));
      }
      roundTrip(AnswerScorer.of("auto", verifier));
    }
  }

  private static AnswerScorer roundTrip(AnswerScorer scorer) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(scorer);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (AnswerScorer) in.readObject();
    }
  }
}
