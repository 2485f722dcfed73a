package io.tokenmill.reasoner.tasks;

import java.util.random.RandomGenerator;

/**
 * A family of synthetic problems with a verifiable answer and a step-by-step scratchpad whose length
 * grows with {@link #levels() difficulty level} (1 = easiest). Generators are pure functions of the
 * random draws, so a seeded stream always yields the same problems.
 */
public interface Task {

  /** Short name used in ids, tables and prompt files, e.g. {@code add}. */
  String name();

  /** Number of difficulty levels; levels are 1..levels(). */
  default int levels() {
    return 4;
  }

  /** What a level means, for tables (e.g. "7-8 digits"). */
  String describe(int level);

  /**
   * Strata of a level: the problem sizes it mixes in equal shares (e.g. level 1 of addition: a longer
   * operand of 1 or 2 digits). Held-out sets sample strata in the same shares as training does, so a
   * small stratum (there are only 100 one-digit sums) is not crowded out when problems are drawn
   * distinct.
   */
  int strata(int level);

  /** Draws one problem of the given level and stratum (0-based). */
  Problem generate(int level, int stratum, RandomGenerator rng);

  /** The reference a prompt file carries for the job's verifier (the exact answer, unless overridden). */
  default String reference(Problem p) {
    return p.answer();
  }

  /** Whether {@code answer} (the text after the reasoning) solves {@code p}: exact match unless overridden. */
  default boolean isCorrect(Problem p, String answer) {
    return answer != null && answer.equals(p.answer());
  }

  /**
   * The kind of a line of this task's completion, for {@code ForcedLines}' per-kind table (e.g. the
   * seating trace's rule table vs its search lines). One kind unless overridden.
   */
  default String lineKind(String line) {
    return line.equals("</think>") || line.isEmpty() ? "format" : "line";
  }

  /** Draws one problem of the given level: a uniform stratum, then a problem of it. */
  default Problem generate(int level, RandomGenerator rng) {
    return generate(level, rng.nextInt(strata(level)), rng);
  }
}
