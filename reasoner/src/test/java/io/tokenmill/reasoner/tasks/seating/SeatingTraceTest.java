package io.tokenmill.reasoner.tasks.seating;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Seating;
import io.tokenmill.reasoner.tasks.Tasks;
import io.tokenmill.udfs.eval.seating.SeatingExtractor;
import io.tokenmill.udfs.eval.seating.SeatingVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seating puzzles and their search traces: prompts word for word as the committed puzzle file, every
 * trace's answer accepted by the job's verifier and equal to the first solution in search order found by
 * brute force (so the search's pruning never skips a solution), lengths within the training bound and
 * spread at least tenfold.
 */
class SeatingTraceTest {

  static final Path COMMITTED = Path.of("..", "data-samples", "prompts", "seating.jsonl");

  @Test
  void promptsAreWordForWordTheCommittedPuzzles() throws Exception {
    int checked = 0;
    for (String line : Files.readAllLines(COMMITTED)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      Puzzle puzzle = Puzzle.fromReference(o.get("reference").getAsString());
      assertEquals(o.get("prompt").getAsString(), puzzle.prompt(), o.get("id").getAsString());
      assertEquals(JsonParser.parseString(o.get("reference").getAsString()),
          JsonParser.parseString(puzzle.referenceJson()), o.get("id").getAsString());
      checked++;
    }
    assertEquals(40, checked);
  }

  @Test
  void everyTraceEndsOnTheFirstSolutionAndTheVerifierAcceptsIt() {
    SplittableRandom rng = new SplittableRandom(17);
    SeatingVerifier verifier = new SeatingVerifier();
    SeatingExtractor extractor = new SeatingExtractor();
    for (int n = 3; n <= 6; n++) {
      for (boolean table : n == 3 ? new boolean[] {false} : new boolean[] {false, true}) {
        for (int i = 0; i < 150; i++) {
          Puzzle p = PuzzleGenerator.generate(n, table, 1 + i % 3, rng);
          String trace = SearchTrace.of(p);
          String answer = SearchTrace.answer(p);
          assertTrue(trace.endsWith("\n" + answer), "the answer is the trace's last line");
          assertTrue(verifier.verify(extractor.extract(answer), p.referenceJson()), p.prompt() + "\n" + trace);
          List<String> first = p.solutions().get(0);
          assertEquals("Seating: " + String.join(", ", first), answer, p.prompt() + "\n" + trace);
          assertEquals(trace, SearchTrace.of(p), "a function of the puzzle");
          String checked = CheckAllTrace.of(p);
          assertTrue(checked.endsWith("\n" + answer), "the check-all search ends on the same first solution:\n" + checked);
        }
      }
    }
  }

  @Test
  void theCommittedPuzzlesAreSolvedByTheirTraces() throws Exception {
    SeatingVerifier verifier = new SeatingVerifier();
    SeatingExtractor extractor = new SeatingExtractor();
    for (String line : Files.readAllLines(COMMITTED)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      String reference = o.get("reference").getAsString();
      String answer = SearchTrace.answer(Puzzle.fromReference(reference));
      assertTrue(verifier.verify(extractor.extract(answer), reference), o.get("id").getAsString() + ": " + answer);
    }
  }

  @Test
  void promptsReadBackIntoTheirPuzzlesAndAnyValidSeatingCounts() {
    SplittableRandom rng = new SplittableRandom(29);
    for (int level = 1; level <= 4; level++) {
      for (int i = 0; i < 50; i++) {
        Problem p = Tasks.SEATING.generate(level, rng);
        Puzzle puzzle = Puzzle.fromPrompt(p.prompt());
        assertEquals(p.prompt(), puzzle.prompt());
        assertTrue(Tasks.SEATING.isCorrect(p, p.answer()));
        List<List<String>> all = puzzle.solutions();
        List<String> other = all.get(all.size() - 1);
        assertTrue(Tasks.SEATING.isCorrect(p, "Seating: " + String.join(", ", other).toLowerCase()), "any valid seating");
        List<String> wrong = new ArrayList<>(all.get(0));
        java.util.Collections.swap(wrong, 0, wrong.size() - 1);
        if (!puzzle.isSolvedBy(wrong)) assertFalse(Tasks.SEATING.isCorrect(p, "Seating: " + String.join(", ", wrong)));
        assertFalse(Tasks.SEATING.isCorrect(p, "Seating: " + String.join(", ", all.get(0).subList(1, all.get(0).size()))));
        assertFalse(Tasks.SEATING.isCorrect(p, null));
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Puzzle.fromPrompt("Three friends, Alice, Bob and Eve, sit in a row of 3 seats numbered 1 to 3.\n"
            + "Find a seating that satisfies all of these conditions:\n1. Eve sits on the floor.\nIf several"));
    assertTrue(e.getMessage().contains("1. Eve sits on the floor."), e.getMessage());
  }

  @Test
  void committedHeldOutPuzzlesAreReproducibleHeldOutAndSolvable() throws Exception {
    Path file = Path.of("..", "data-samples", "prompts", "seating-heldout.jsonl");
    List<Problem> sample = io.tokenmill.reasoner.HeldOutPrompts.sample(List.of(Tasks.SEATING), 200, Tasks.EVAL_SEED);
    assertEquals(io.tokenmill.reasoner.HeldOutPrompts.jsonl(sample), Files.readString(file));
    SeatingVerifier verifier = new SeatingVerifier();
    int[] perLevel = new int[5];
    for (String line : Files.readAllLines(file)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      String prompt = o.get("prompt").getAsString();
      assertTrue(io.tokenmill.reasoner.tasks.HeldOutSplit.isHeldOut("seating", prompt), line);
      String reference = o.get("reference").getAsString();
      assertEquals(prompt, Puzzle.fromReference(reference).prompt());
      assertTrue(verifier.verify(new SeatingExtractor().extract(SearchTrace.answer(Puzzle.fromReference(reference))), reference));
      perLevel[o.get("level").getAsInt()]++;
    }
    assertArrayEquals(new int[] {0, 50, 50, 50, 50}, perLevel);
  }

  @Test
  void traceLinesRestateTheirState() {
    // row 4: C ~K / H >I ~K !I / I <H !H / K ~H ~C (the first committed-style example in SearchTrace)
    Puzzle p = new Puzzle(false, List.of("Carol", "Hugo", "Ivy", "Kim"), List.of(
        Rule.pair(Rule.Kind.LEFT_OF, "Ivy", "Hugo"), Rule.pair(Rule.Kind.ADJACENT, "Kim", "Hugo"),
        Rule.pair(Rule.Kind.NOT_ADJACENT, "Ivy", "Hugo"), Rule.pair(Rule.Kind.ADJACENT, "Carol", "Kim")));
    List<String> lines = Arrays.asList(SearchTrace.of(p).split("\n"));
    assertEquals(List.of("row 4", "guests C H I K", "1 I <H", "2 K ~H", "3 I !H", "4 C ~K", "C ~K",
        "H >I ~K !I", "I <H !H", "K ~H ~C", "|CHIK C1 ~K. ok", "C|.HIK ~K K2 ~H. ~C+ ok", "CK|.HI. ~H H3 >I-",
        "C|.HIK ~K undo K"), lines.subList(0, 14));
    assertEquals(SearchTrace.of(p).length() - "guests C H I K\n1 I <H\n2 K ~H\n3 I !H\n4 C ~K\n".length(),
        SearchTrace.searchLength(p));
    assertEquals("Seating: Ivy, Carol, Kim, Hugo", lines.get(lines.size() - 1));
  }

  @Test
  void checkAllLinesCopyEachConditionWithItsSeats() {
    Puzzle p = new Puzzle(false, List.of("Carol", "Hugo", "Ivy", "Kim"), List.of(
        Rule.pair(Rule.Kind.LEFT_OF, "Ivy", "Hugo"), Rule.pair(Rule.Kind.ADJACENT, "Kim", "Hugo"),
        Rule.pair(Rule.Kind.NOT_ADJACENT, "Ivy", "Hugo"), Rule.pair(Rule.Kind.ADJACENT, "Carol", "Kim")));
    List<String> lines = Arrays.asList(CheckAllTrace.of(p).split("\n"));
    assertEquals(List.of("row 4", "guests C H I K", "1 I <H", "2 K ~H", "3 I !H", "4 C ~K",
        "|CHIK C1: 1I_<H_. 2K_~H_. 3I_!H_. 4C1~K_. ok",
        "C1|.HIK H2: 1I_<H2-",
        "C1|.HIK I2: 1I2<H_+ 2K_~H_. 3I2!H_. 4C1~K_-",
        "C1|.HIK K2: 1I_<H_. 2K2~H_. 3I_!H_. 4C1~K2+ ok"), lines.subList(0, 10));
    assertEquals("Seating: Ivy, Carol, Kim, Hugo", lines.get(lines.size() - 1));
  }

  @Test
  void lengthsStayWithinTheTrainingBoundAndSpreadTenfold() {
    SplittableRandom rng = new SplittableRandom(23);
    int min = Integer.MAX_VALUE;
    int max = 0;
    List<String> means = new ArrayList<>();
    for (int level = 1; level <= 4; level++) {
      long sum = 0;
      for (int i = 0; i < 200; i++) {
        Problem p = Tasks.SEATING.generate(level, rng);
        int len = p.reasoning().length();
        assertTrue(SearchTrace.searchLength(Puzzle.fromPrompt(p.prompt())) <= Seating.MAX_TRACE_CHARS);
        // Check-all traces run ~2.5x longer than the search length that bounds the draw; the longest
        // 6-guest ones (4,372 chars) need rows of 5,120 (SearchTrace skips failing candidates by its
        // needed-neighbour rule, a table look-up the check-all trace does without).
        assertTrue(p.prompt().length() + len <= 5_120, len + "\n" + p.reasoning());
        sum += len;
        min = Math.min(min, len);
        max = Math.max(max, len);
      }
      means.add((level + 2) + " guests: " + sum / 200);
    }
    System.out.println("seating reasoning chars (= tokens) min " + min + " max " + max + ", mean " + means);
    assertTrue(max >= 10 * min, min + " .. " + max);
  }
}
