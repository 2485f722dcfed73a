package io.tokenmill.udfs.prompts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.tokenmill.udfs.eval.AnswerScorer;
import io.tokenmill.udfs.eval.seating.SeatingConstraint;
import io.tokenmill.udfs.eval.seating.SeatingPuzzle;
import io.tokenmill.udfs.eval.seating.SeatingSolver;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.DayOfWeek;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed prompt sets: up to date with their generators, shaped as the input contract wants, and
 * every reference checked by its verifier against an answer worked out here independently.
 */
class PromptSetsTest {

  private static final String REGENERATE = "rerun PromptSets.main (see data-samples/README.md)";

  @ParameterizedTest
  @ValueSource(strings = {"seating.jsonl", "gsm.jsonl", "choice.jsonl"})
  void committedFileIsWhatItsGeneratorWrites(String name) throws IOException {
    List<String> committed = Files.readString(PromptSets.file(name), StandardCharsets.UTF_8).lines().toList();
    List<String> generated = PromptSets.render(PromptSets.GENERATORS.get(name).get()).lines().toList();
    for (int i = 0; i < Math.min(committed.size(), generated.size()); i++) {
      assertEquals(generated.get(i), committed.get(i), name + " line " + (i + 1) + " is stale: " + REGENERATE);
    }
    assertEquals(generated.size(), committed.size(), name + " line count is stale: " + REGENERATE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"seating", "gsm", "choice"})
  void everyLineHasTheInputContractFields(String task) {
    List<JsonObject> lines = PromptSets.read(task + ".jsonl");
    assertEquals(40, lines.size());
    Set<String> ids = new HashSet<>();
    for (JsonObject line : lines) {
      String id = line.get("id").getAsString();
      assertTrue(ids.add(id), "duplicate id " + id);
      assertTrue(id.startsWith(task + "-"), id);
      assertEquals(task, line.get("task").getAsString());
      assertFalse(line.get("prompt").getAsString().isBlank(), id);
      assertTrue(line.get("reference").isJsonPrimitive() && line.get("reference").getAsJsonPrimitive().isString(),
          id + ": reference must be a string in every set");
    }
  }

  @Test
  void seatingPuzzlesAreSolvableAndTheVerifierFollowsTheirConstraints() {
    AnswerScorer scorer = AnswerScorer.of("seating", "seating");
    int withSeveralAnswers = 0;
    for (JsonObject line : PromptSets.read("seating.jsonl")) {
      String id = line.get("id").getAsString();
      String reference = line.get("reference").getAsString();
      SeatingPuzzle puzzle = SeatingPuzzle.fromJson(reference);
      String prompt = line.get("prompt").getAsString();
      int n = puzzle.guests().size();
      assertTrue(n >= 3 && n <= 7, id);
      puzzle.guests().forEach(g -> assertTrue(prompt.contains(g), id + " prompt names " + g));
      for (SeatingConstraint c : puzzle.constraints()) assertTrue(prompt.contains(c.sentence()), id + ": " + c);
      assertTrue(prompt.contains("Seating:"), id + " prompt gives the answer format");

      List<List<String>> solutions = SeatingSolver.solutions(puzzle);
      assertFalse(solutions.isEmpty(), id + " has no solution");
      assertEquals(line.get("solutions").getAsInt(), solutions.size(), id);
      if (solutions.size() > (puzzle.layout().jsonName().equals("table") ? 2 * n : 1)) withSeveralAnswers++;
      for (List<String> solution : List.of(solutions.get(0), solutions.get(solutions.size() - 1))) {
        assertTrue(scorer.score("Reasoning...\nSeating: " + String.join(", ", solution), reference).correct(),
            id + " rejects solver's " + solution);
      }
      List<String> violating = SeatingSolver.violation(puzzle);
      assertNotNull(violating, id + " constrains nothing");
      assertFalse(scorer.score("Seating: " + String.join(", ", violating), reference).correct(), id);
      List<String> incomplete = solutions.get(0).subList(0, n - 1);
      assertFalse(scorer.score("Seating: " + String.join(", ", incomplete), reference).correct(), id);
      List<String> duplicate = new ArrayList<>(solutions.get(0));
      duplicate.set(n - 1, duplicate.get(0));
      assertFalse(scorer.score("Seating: " + String.join(", ", duplicate), reference).correct(), id);
    }
    assertTrue(withSeveralAnswers >= 5, "only " + withSeveralAnswers + " puzzles with several answers");
  }

  @Test
  void gsmReferencesMatchAnIndependentRecomputation() {
    AnswerScorer scorer = AnswerScorer.of("auto", "numeric");
    for (JsonObject line : PromptSets.read("gsm.jsonl")) {
      String id = line.get("id").getAsString();
      String reference = line.get("reference").getAsString();
      JsonObject p = line.getAsJsonObject("params");
      String prompt = line.get("prompt").getAsString();
      for (String key : p.keySet()) {
        assertTrue(prompt.contains(p.get(key).getAsString()), id + " prompt shows " + key);
      }
      double expected = recompute(line.get("template").getAsString(), p);
      assertTrue(expected > 0, id);
      assertTrue(prompt.contains("\\boxed{}"), id + " prompt gives the answer format");
      String worked = "... so the answer is \\boxed{" + BigDecimal.valueOf(expected).stripTrailingZeros().toPlainString() + "}.";
      assertTrue(scorer.score(worked, reference).correct(), id + ": reference " + reference + " vs " + expected);
      assertFalse(scorer.score("\\boxed{" + (expected + 1) + "}", reference).correct(), id);
    }
  }

  /** Each template's answer, written from its problem text, not from the generator's arithmetic. */
  private static double recompute(String template, JsonObject p) {
    return switch (template) {
      case "change" -> num(p, "bill") - num(p, "count") * num(p, "price");
      case "harvest" -> (num(p, "perDay") * num(p, "days") - num(p, "sold")) / num(p, "bag");
      case "trip" -> num(p, "v1") * num(p, "t1") + num(p, "v2") * num(p, "t2");
      case "discount" -> num(p, "price") * (1 - num(p, "pct") / 100) - num(p, "coupon");
      // sam + (sam + gap) + 2 * years = sum
      case "ages" -> (num(p, "sum") - num(p, "gap") - 2 * num(p, "years")) / 2;
      case "savings" -> Math.ceil((num(p, "goal") - num(p, "start")) / num(p, "weekly"));
      case "bakery" -> (num(p, "trays") * num(p, "perTray") - num(p, "morning")) / 2;
      case "garden" -> (num(p, "length") + 2 * num(p, "path")) * (num(p, "width") + 2 * num(p, "path"))
          - num(p, "length") * num(p, "width");
      default -> throw new AssertionError("unknown template " + template);
    };
  }

  private static double num(JsonObject params, String key) {
    return params.get(key).getAsDouble();
  }

  @Test
  void choiceReferencesNameTheOnlyRightOption() {
    AnswerScorer scorer = AnswerScorer.of("choice", "choice");
    for (JsonObject line : PromptSets.read("choice.jsonl")) {
      String id = line.get("id").getAsString();
      String reference = line.get("reference").getAsString();
      JsonObject options = line.getAsJsonObject("options");
      String prompt = line.get("prompt").getAsString();
      assertEquals(Set.of("A", "B", "C", "D"), options.keySet(), id);
      List<String> right = new ArrayList<>();
      for (String letter : options.keySet()) {
        String option = options.get(letter).getAsString();
        assertTrue(prompt.contains(letter + ". " + option + "\n"), id + " prompt lists " + letter);
        if (isRight(line, option, options)) right.add(letter);
      }
      assertEquals(List.of(reference), right, id + ": exactly the reference is right");
      assertTrue(prompt.contains("Answer: X"), id + " prompt gives the answer format");
      assertTrue(scorer.score("Let me check each.\nAnswer: " + reference, reference).correct(), id);
      String other = reference.equals("A") ? "B" : "A";
      assertFalse(scorer.score("Answer: " + other, reference).correct(), id);
    }
  }

  private static boolean isRight(JsonObject line, String option, JsonObject options) {
    JsonObject p = line.getAsJsonObject("params");
    return switch (line.get("kind").getAsString()) {
      case "product" -> Long.parseLong(option) == Math.multiplyExact(p.get("a").getAsLong(), p.get("b").getAsLong());
      case "minutes" -> new BigDecimal(option).compareTo(p.get("hours").getAsBigDecimal().multiply(BigDecimal.valueOf(60))) == 0;
      case "prime" -> BigInteger.valueOf(Long.parseLong(option)).isProbablePrime(50);
      case "weekday" -> option.equals(DayOfWeek.valueOf(p.get("today").getAsString().toUpperCase(Locale.ROOT))
          .plus(p.get("days").getAsLong()).getDisplayName(TextStyle.FULL, Locale.ENGLISH));
      case "largest_fraction" -> options.keySet().stream()
          .allMatch(other -> other.equals(letterOf(options, option)) || fraction(option) > fraction(options.get(other).getAsString()));
      default -> throw new AssertionError("unknown kind " + line.get("kind"));
    };
  }

  private static String letterOf(JsonObject options, String option) {
    return options.keySet().stream().filter(k -> options.get(k).getAsString().equals(option)).findFirst().orElseThrow();
  }

  private static double fraction(String text) {
    String[] parts = text.split("/");
    return Double.parseDouble(parts[0]) / Double.parseDouble(parts[1]);
  }
}
