package io.tokenmill.udfs.prompts;

import com.google.gson.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Deterministic four-option questions for {@code data-samples/prompts/choice.jsonl}, on facts a test can
 * check in code: products, hours to minutes, the largest fraction, the one prime, the day of the week.
 * The right option's letter is drawn at random. Each line keeps its {@code kind}, {@code options} and
 * {@code params} (empty where the options say it all).
 */
final class ChoiceQuestions {

  static final long SEED = 20250603L;
  static final List<String> KINDS = List.of("product", "minutes", "largest_fraction", "prime", "weekday");
  static final int PER_KIND = 8;
  static final List<String> LETTERS = List.of("A", "B", "C", "D");
  static final List<String> DAYS =
      List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday");
  static final String INSTRUCTION =
      "Think it through, then end your answer with a line of the form \"Answer: X\", where X is A, B, C or D.";

  private ChoiceQuestions() {}

  static List<JsonObject> lines() {
    Random rng = new Random(SEED);
    List<JsonObject> lines = new ArrayList<>();
    for (int round = 0; round < PER_KIND; round++) {
      for (String kind : KINDS) {
        JsonObject params = new JsonObject();
        Question q = draw(kind, rng, params);
        List<String> options = new ArrayList<>(q.wrong);
        int right = rng.nextInt(LETTERS.size());
        options.add(right, q.right);
        StringBuilder prompt = new StringBuilder(q.stem).append('\n');
        JsonObject byLetter = new JsonObject();
        for (int i = 0; i < options.size(); i++) {
          prompt.append(LETTERS.get(i)).append(". ").append(options.get(i)).append('\n');
          byLetter.addProperty(LETTERS.get(i), options.get(i));
        }
        prompt.append(INSTRUCTION);
        JsonObject line = PromptLine.of(
            PromptLine.id("choice", lines.size()), "choice", prompt.toString(), LETTERS.get(right));
        line.addProperty("kind", kind);
        line.add("options", byLetter);
        line.add("params", params);
        lines.add(line);
      }
    }
    return lines;
  }

  /** The stem, the right option, and three distinct wrong ones. */
  private record Question(String stem, String right, List<String> wrong) {}

  private static Question draw(String kind, Random rng, JsonObject params) {
    switch (kind) {
      case "product": {
        int a = 12 + rng.nextInt(38);
        int b = 12 + rng.nextInt(38);
        params.addProperty("a", a);
        params.addProperty("b", b);
        int p = a * b;
        return new Question("What is " + a + " × " + b + "?", String.valueOf(p),
            distinctWrong(rng, String.valueOf(p), p + 10, p - 10, p + a, p - b, p + 100, p - 1));
      }
      case "minutes": {
        BigDecimal hours = BigDecimal.valueOf(1 + rng.nextInt(8)).add(new BigDecimal(List.of("0.25", "0.5", "0.75").get(rng.nextInt(3))));
        params.addProperty("hours", hours);
        int minutes = hours.multiply(BigDecimal.valueOf(60)).intValueExact();
        return new Question("How many minutes are there in " + hours.toPlainString() + " hours?", String.valueOf(minutes),
            distinctWrong(rng, String.valueOf(minutes), hours.multiply(BigDecimal.valueOf(100)).intValue(),
                minutes + 15, minutes - 15, minutes + 30, hours.intValue() * 60 + hours.remainder(BigDecimal.ONE).movePointRight(2).intValue()));
      }
      case "largest_fraction": {
        List<int[]> fractions = new ArrayList<>();
        Set<Double> values = new LinkedHashSet<>();
        while (fractions.size() < 4) {
          int d = 2 + rng.nextInt(11);
          int n = 1 + rng.nextInt(d - 1);
          if (values.add((double) n / d)) fractions.add(new int[] {n, d});
        }
        fractions.sort((x, y) -> Double.compare((double) y[0] / y[1], (double) x[0] / x[1]));
        List<String> texts = new ArrayList<>();
        for (int[] f : fractions) texts.add(f[0] + "/" + f[1]);
        List<String> wrong = new ArrayList<>(texts.subList(1, 4));
        Collections.shuffle(wrong, rng);
        return new Question("Which of these fractions is the largest?", texts.get(0), wrong);
      }
      case "prime": {
        int prime;
        do prime = 20 + rng.nextInt(80); while (!isPrime(prime));
        List<Integer> composites = new ArrayList<>();
        while (composites.size() < 3) {
          int c = 21 + 2 * rng.nextInt(40); // odd, so "even means not prime" does not give it away
          if (!isPrime(c) && c % 5 != 0 && !composites.contains(c)) composites.add(c);
        }
        params.addProperty("prime", prime);
        List<String> wrong = new ArrayList<>();
        for (int c : composites) wrong.add(String.valueOf(c));
        return new Question("Which of these numbers is prime?", String.valueOf(prime), wrong);
      }
      case "weekday": {
        int today = rng.nextInt(7);
        int days = 10 + rng.nextInt(90);
        params.addProperty("today", DAYS.get(today));
        params.addProperty("days", days);
        String right = DAYS.get((today + days) % 7);
        List<String> others = new ArrayList<>(DAYS);
        others.remove(right);
        Collections.shuffle(others, rng);
        return new Question("Today is " + DAYS.get(today) + ". What day of the week will it be " + days + " days from now?",
            right, others.subList(0, 3));
      }
      default:
        throw new IllegalArgumentException(kind);
    }
  }

  /** Three wrong options drawn from the candidates, none equal to the right one or to each other. */
  private static List<String> distinctWrong(Random rng, String right, int... candidates) {
    List<String> pool = new ArrayList<>();
    for (int c : candidates) {
      String s = String.valueOf(c);
      if (c > 0 && !s.equals(right) && !pool.contains(s)) pool.add(s);
    }
    Collections.shuffle(pool, rng);
    return new ArrayList<>(pool.subList(0, 3));
  }

  static boolean isPrime(int n) {
    if (n < 2) return false;
    for (int d = 2; d * d <= n; d++) if (n % d == 0) return false;
    return true;
  }
}
