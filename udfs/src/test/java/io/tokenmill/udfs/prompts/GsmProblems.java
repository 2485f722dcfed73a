package io.tokenmill.udfs.prompts;

import com.google.gson.JsonObject;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic grade-school word problems for {@code data-samples/prompts/gsm.jsonl}: eight templates,
 * five draws each, with parameters chosen so the answers come out whole (or in cents). Each line keeps
 * its {@code template} and {@code params} so a test can recompute the answer with its own formula.
 */
final class GsmProblems {

  static final long SEED = 20250602L;
  static final List<String> TEMPLATES =
      List.of("change", "harvest", "trip", "discount", "ages", "savings", "bakery", "garden");
  static final int PER_TEMPLATE = 5;
  static final String INSTRUCTION =
      "\nSolve it step by step, then give the final answer as a number only (no units) in \\boxed{}.";

  private static final String[] PEOPLE = {"Maya", "Omar", "Lena", "Tariq", "Sofia", "Ben", "Aiko", "Jonas"};

  private GsmProblems() {}

  static List<JsonObject> lines() {
    Random rng = new Random(SEED);
    List<JsonObject> lines = new ArrayList<>();
    for (int round = 0; round < PER_TEMPLATE; round++) {
      for (String template : TEMPLATES) {
        JsonObject params = new JsonObject();
        String[] problem = draw(template, rng, params);
        JsonObject line = PromptLine.of(PromptLine.id("gsm", lines.size()), "gsm", problem[0] + INSTRUCTION, problem[1]);
        line.addProperty("template", template);
        line.add("params", params);
        lines.add(line);
      }
    }
    return lines;
  }

  /** {problem text, answer}; records the parameters it drew in {@code params}. */
  private static String[] draw(String template, Random rng, JsonObject params) {
    String who = PEOPLE[rng.nextInt(PEOPLE.length)];
    switch (template) {
      case "change": {
        int count = 2 + rng.nextInt(5);
        BigDecimal price = new BigDecimal(List.of("1.25", "1.50", "2.25", "2.75", "3.50").get(rng.nextInt(5)));
        int bill = price.multiply(BigDecimal.valueOf(count)).compareTo(BigDecimal.valueOf(20)) < 0 ? 20 : 50;
        params.addProperty("count", count);
        params.addProperty("price", price);
        params.addProperty("bill", bill);
        return new String[] {
          who + " buys " + count + " notebooks that cost $" + price + " each and pays with a $" + bill
              + " bill. How many dollars of change does " + who + " get back?",
          plain(BigDecimal.valueOf(bill).subtract(price.multiply(BigDecimal.valueOf(count))))};
      }
      case "harvest": {
        int perDay = 12 + rng.nextInt(30);
        int days = 3 + rng.nextInt(5);
        int bag = List.of(4, 5, 6, 8).get(rng.nextInt(4));
        int total = perDay * days;
        int sold = (total % bag) + bag * (1 + rng.nextInt(total / bag / 2));
        params.addProperty("perDay", perDay);
        params.addProperty("days", days);
        params.addProperty("sold", sold);
        params.addProperty("bag", bag);
        return new String[] {
          "A farmer picks " + perDay + " apples every day for " + days + " days. She sells " + sold
              + " of the apples and packs the rest into bags of " + bag + ". How many bags does she fill?",
          String.valueOf((total - sold) / bag)};
      }
      case "trip": {
        int v1 = 40 + 5 * rng.nextInt(13);
        int t1 = 1 + rng.nextInt(4);
        int v2 = 40 + 5 * rng.nextInt(13);
        int t2 = 1 + rng.nextInt(3);
        params.addProperty("v1", v1);
        params.addProperty("t1", t1);
        params.addProperty("v2", v2);
        params.addProperty("t2", t2);
        return new String[] {
          "A train travels at " + v1 + " km/h for " + hours(t1) + " and then at " + v2 + " km/h for "
              + hours(t2) + ". How many kilometres does it travel in total?",
          String.valueOf(v1 * t1 + v2 * t2)};
      }
      case "discount": {
        int price = 40 + 10 * rng.nextInt(12);
        int pct = List.of(10, 20, 25, 30, 50).get(rng.nextInt(5));
        int coupon = 5 * (1 + rng.nextInt(3));
        params.addProperty("price", price);
        params.addProperty("pct", pct);
        params.addProperty("coupon", coupon);
        BigDecimal sale = BigDecimal.valueOf(price * (100 - pct)).divide(BigDecimal.valueOf(100));
        return new String[] {
          "A jacket costs $" + price + ". In a sale it is " + pct + "% off, and then a $" + coupon
              + " coupon is taken off the sale price. How many dollars does " + who + " pay for the jacket?",
          plain(sale.subtract(BigDecimal.valueOf(coupon)))};
      }
      case "ages": {
        int young = 6 + rng.nextInt(20);
        int gap = 2 + rng.nextInt(10);
        int years = 2 + rng.nextInt(8);
        int sum = young + (young + gap) + 2 * years;
        params.addProperty("gap", gap);
        params.addProperty("years", years);
        params.addProperty("sum", sum);
        return new String[] {
          who + " is " + gap + " years older than Sam. In " + years + " years, the sum of their ages will be "
              + sum + ". How old is Sam now?",
          String.valueOf(young)};
      }
      case "savings": {
        int start = 10 * (1 + rng.nextInt(7));
        int weekly = List.of(12, 15, 18, 25, 35).get(rng.nextInt(5));
        int goal = start + weekly * (3 + rng.nextInt(9)) - rng.nextInt(weekly);
        params.addProperty("start", start);
        params.addProperty("weekly", weekly);
        params.addProperty("goal", goal);
        int weeks = (goal - start + weekly - 1) / weekly;
        return new String[] {
          who + " has $" + start + " saved and adds $" + weekly + " every week. After how many weeks will "
              + who + " first have at least $" + goal + "?",
          String.valueOf(weeks)};
      }
      case "bakery": {
        int trays = 3 + rng.nextInt(6);
        int perTray = List.of(6, 8, 12).get(rng.nextInt(3));
        int made = trays * perTray;
        int morning = 2 * (1 + rng.nextInt(made / 4)) + (made % 2);
        params.addProperty("trays", trays);
        params.addProperty("perTray", perTray);
        params.addProperty("morning", morning);
        return new String[] {
          "A bakery bakes " + trays + " trays of " + perTray + " muffins. It sells " + morning
              + " muffins in the morning and half of the remaining muffins in the afternoon. How many muffins are left?",
          String.valueOf((made - morning) / 2)};
      }
      case "garden": {
        int length = 8 + rng.nextInt(15);
        int width = 4 + rng.nextInt(10);
        int path = 1 + rng.nextInt(2);
        params.addProperty("length", length);
        params.addProperty("width", width);
        params.addProperty("path", path);
        return new String[] {
          "A rectangular garden is " + length + " m long and " + width + " m wide. A path " + path
              + " m wide runs all the way around the outside of the garden. What is the area of the path, in square metres?",
          String.valueOf((length + 2 * path) * (width + 2 * path) - length * width)};
      }
      default:
        throw new IllegalArgumentException(template);
    }
  }

  private static String hours(int h) {
    return h == 1 ? "1 hour" : h + " hours";
  }

  /** 13.750 -> 13.75, 14.00 -> 14. */
  private static String plain(BigDecimal value) {
    BigDecimal stripped = value.stripTrailingZeros();
    return stripped.scale() < 0 ? stripped.setScale(0, RoundingMode.UNNECESSARY).toPlainString() : stripped.toPlainString();
  }
}
