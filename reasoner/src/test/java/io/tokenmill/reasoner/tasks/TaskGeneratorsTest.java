package io.tokenmill.reasoner.tasks;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The synthetic tasks: every answer agrees with arithmetic done independently on the numbers parsed back
 * out of the prompt, the scratchpad's own last line agrees with the answer, reasoning length grows with
 * level (at least 5x from easiest to hardest), and training and held-out problems never overlap.
 */
class TaskGeneratorsTest {

  private static final Pattern BINARY = Pattern.compile("What is (\\d+) ([-+*]) (\\d+)\\?");
  private static final Pattern COUNT = Pattern.compile("How many (\\d)s are in (\\d+)\\?");

  @Test
  void answersMatchIndependentArithmetic() {
    SplittableRandom rng = new SplittableRandom(5);
    for (Task task : Tasks.ALL) {
      for (int level = 1; level <= task.levels(); level++) {
        for (int i = 0; i < 500; i++) {
          Problem p = task.generate(level, rng);
          assertEquals(independentAnswer(p), p.answer(), p.toString());
          assertEquals(task.name(), p.task());
          assertEquals(level, p.level());
        }
      }
    }
  }

  /** The answer computed from the prompt alone: BigInteger arithmetic or a character count. */
  static String independentAnswer(Problem p) {
    Matcher m = BINARY.matcher(p.prompt());
    if (m.matches()) {
      BigInteger a = new BigInteger(m.group(1));
      BigInteger b = new BigInteger(m.group(3));
      return switch (m.group(2)) {
        case "+" -> a.add(b).toString();
        case "-" -> a.subtract(b).toString();
        default -> a.multiply(b).toString();
      };
    }
    m = COUNT.matcher(p.prompt());
    assertTrue(m.matches(), "unrecognised prompt: " + p.prompt());
    char d = m.group(1).charAt(0);
    return Long.toString(m.group(2).chars().filter(c -> c == d).count());
  }

  @Test
  void levelsMatchTheirDescriptionAndOperandsAreValid() {
    SplittableRandom rng = new SplittableRandom(6);
    for (int level = 1; level <= 4; level++) {
      for (int i = 0; i < 300; i++) {
        Matcher add = BINARY.matcher(Tasks.byName("add").generate(level, rng).prompt());
        assertTrue(add.matches());
        int longest = Math.max(add.group(1).length(), add.group(3).length());
        assertTrue(longest == 2 * level || longest == 2 * level - 1, add.group());
        Matcher sub = BINARY.matcher(Tasks.byName("sub").generate(level, rng).prompt());
        assertTrue(sub.matches());
        assertTrue(Long.parseLong(sub.group(1)) >= Long.parseLong(sub.group(3)), "a >= b: " + sub.group());
        Matcher mul = BINARY.matcher(Tasks.byName("mul").generate(level, rng).prompt());
        assertTrue(mul.matches());
        int d = Integer.parseInt(mul.group(3));
        assertTrue(d >= 0 && d <= 9 && mul.group(1).length() >= 2 * level - 1 && mul.group(1).length() <= 2 * level);
        Matcher count = COUNT.matcher(Tasks.byName("count").generate(level, rng).prompt());
        assertTrue(count.matches());
        assertTrue(count.group(2).length() >= 3 * level - 2 && count.group(2).length() <= 3 * level);
      }
    }
  }

  @Test
  void edgeCasesAreAnsweredByTheirScratchpads() {
    List<Problem> edges = EdgeCases.all();
    assertTrue(edges.size() >= 60);
    for (Problem p : edges) {
      assertEquals(independentAnswer(p), p.answer(), p.toString());
      assertEquals(p.answer(), last(p.reasoning()).substring(p.task().equals("count") ? 0 : 1).replaceAll(".* ", ""),
          "answer copied from the last line: " + p);
    }
    // The v1 failure: a 1-digit first operand beside a 7-digit one is walked digit by digit, not invented.
    assertEquals("4+3997199 c0 r 4+9+0=13\n+399719 c1 r3 0+9+1=10\n+39971 c1 r03 0+1+1=2\n+3997 c0 r203 0+7+0=7\n"
        + "+399 c0 r7203 0+9+0=9\n+39 c0 r97203 0+9+0=9\n+3 c0 r997203 0+3+0=3\nr3997203",
        Addition.of(4, 4, 3997199).reasoning());
    assertEquals("0", Multiplication.of(4, 12345678, 0).answer());
  }

  @Test
  void generatorsCoverUnrelatedLengthsZerosAndRepeatedDigits() {
    SplittableRandom rng = new SplittableRandom(8);
    Set<String> addLengths = new HashSet<>();
    boolean zero = false;
    boolean repeated = false;
    boolean roundMinuend = false;
    for (int i = 0; i < 20_000; i++) {
      Matcher add = BINARY.matcher(Tasks.byName("add").generate(1 + rng.nextInt(4), rng).prompt());
      assertTrue(add.matches());
      addLengths.add(add.group(1).length() + "+" + add.group(3).length());
      zero |= add.group(1).equals("0") || add.group(3).equals("0");
      repeated |= add.group(1).length() > 3 && add.group(1).chars().distinct().count() == 1;
      Matcher sub = BINARY.matcher(Tasks.byName("sub").generate(4, rng).prompt());
      assertTrue(sub.matches());
      roundMinuend |= sub.group(1).matches("[1-9]0{6,7}");
    }
    assertEquals(64, addLengths.size(), "every pair of operand lengths 1-8, either order: " + addLengths);
    assertTrue(zero && repeated && roundMinuend);
  }

  @Test
  void scratchpadsShowEveryDigitStep() {
    Problem add = Addition.of(4, 4821, 397);
    assertEquals("4821+397 c0 r 1+7+0=8\n482+39 c0 r8 2+9+0=11\n48+3 c1 r18 8+3+1=12\n4+ c1 r218 4+0+1=5\nr5218",
        add.reasoning());
    assertEquals("5218", add.answer());
    assertEquals("99+1 c0 r 9+1+0=10\n9+ c1 r0 9+0+1=10\nr100", Addition.of(1, 99, 1).reasoning());
    assertEquals("100", Addition.of(1, 99, 1).answer());
    Problem sub = Subtraction.of(2, 1000, 999);
    assertEquals("1000-999 b0 r 0-9-0=1 b1\n100-99 b1 r1 0-9-1=0 b1\n10-9 b1 r01 0-9-1=0 b1\n1- b1 r001 1-0-1=0 b0\n"
        + "r0001\nr001\nr01\nr1", sub.reasoning());
    assertEquals("1", sub.answer());
    assertEquals("0", Subtraction.of(1, 7, 7).answer());
    Problem mul = Multiplication.of(2, 4821, 7);
    assertEquals("4821*7 c0 r 1*7=7+0=7\n482*7 c0 r7 2*7=14+0=14\n48*7 c1 r47 8*7=56+1=57\n4*7 c5 r747 4*7=28+5=33\n"
        + "r33747", mul.reasoning());
    assertEquals("33747", mul.answer());
    Problem count = DigitCount.of(3, "5727107", 7);
    assertEquals("5727107 7=7? yes 1\n572710 0=7? no 1\n57271 1=7? no 1\n5727 7=7? yes 2\n572 2=7? no 2\n"
        + "57 7=7? yes 3\n5 5=7? no 3", count.reasoning());
    assertEquals("3", count.answer());
    assertEquals("5 5=7? no 3\n</think>\n\n3", count.completion().substring(count.completion().indexOf("5 5=7")));
  }

  @Test
  void answerIsAnExactCopyOfTheLastLinesResult() {
    SplittableRandom rng = new SplittableRandom(10);
    for (Task task : Tasks.ALL) {
      for (int i = 0; i < 2000; i++) {
        Problem p = task.generate(1 + rng.nextInt(4), rng);
        String last = last(p.reasoning());
        String copied = task.name().equals("count") ? last.substring(last.lastIndexOf(' ') + 1)
            : last.substring(last.lastIndexOf('r') + 1);
        assertEquals(p.answer(), copied, p.toString());
      }
    }
  }

  @Test
  void reasoningLengthGrowsWithLevelAtLeastFiveFold() {
    SplittableRandom rng = new SplittableRandom(7);
    for (Task task : Tasks.ALL) {
      double[] mean = new double[task.levels() + 1];
      for (int level = 1; level <= task.levels(); level++) {
        long chars = 0;
        for (int i = 0; i < 400; i++) chars += task.generate(level, rng).reasoning().length(); // 1 char = 1 token
        mean[level] = chars / 400.0;
        if (level > 1) assertTrue(mean[level] > mean[level - 1] * 1.3, task.name() + " level " + level);
      }
      System.out.printf("%s reasoning chars by level: %s%n", task.name(), java.util.Arrays.toString(mean));
      assertTrue(mean[task.levels()] >= 5 * mean[1], task.name() + ": hardest " + mean[task.levels()]
          + " vs easiest " + mean[1]);
    }
  }

  @Test
  void trainingAndHeldOutProblemsAreDisjoint() {
    Set<String> heldOut = new HashSet<>();
    for (Task task : Tasks.ALL) {
      List<Problem> problems = Tasks.heldOut(task, 250, Tasks.EVAL_SEED);
      assertEquals(1000, problems.size());
      for (Problem p : problems) {
        assertTrue(HeldOutSplit.isHeldOut(p));
        heldOut.add(p.task() + "|" + p.prompt());
      }
    }
    Tasks.TrainingStream stream = new Tasks.TrainingStream(1);
    int trainingOverlap = 0;
    int easyProblems = 0;
    for (int i = 0; i < 100_000; i++) {
      Problem p = stream.next();
      assertFalse(HeldOutSplit.isHeldOut(p));
      if (heldOut.contains(p.task() + "|" + p.prompt())) trainingOverlap++;
      if (p.level() == 1) easyProblems++;
    }
    assertEquals(0, trainingOverlap);
    assertTrue(easyProblems > 20_000, "level 1 problems were drawn (the small spaces where overlap would show)");
  }

  @Test
  void subtractionOftenHasLeadingZerosToStrip() {
    SplittableRandom rng = new SplittableRandom(9);
    int shorter = 0;
    for (int i = 0; i < 2000; i++) {
      Matcher m = BINARY.matcher(Tasks.byName("sub").generate(3, rng).prompt());
      assertTrue(m.matches());
      if (Long.toString(Long.parseLong(m.group(1)) - Long.parseLong(m.group(3))).length() < m.group(1).length() - 1) {
        shorter++;
      }
    }
    assertTrue(shorter > 250, "results two or more digits shorter than a: " + shorter);
  }

  @Test
  void heldOutSliceIsAboutOneInTen() {
    SplittableRandom rng = new SplittableRandom(8);
    int held = 0;
    for (int i = 0; i < 20_000; i++) if (HeldOutSplit.isHeldOut(Tasks.byName("add").generate(4, rng))) held++;
    assertTrue(held > 1700 && held < 2300, "held out: " + held);
  }

  private static String last(String reasoning) {
    return reasoning.substring(reasoning.lastIndexOf('\n') + 1);
  }
}
