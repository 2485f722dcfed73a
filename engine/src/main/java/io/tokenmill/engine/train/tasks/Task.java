package io.tokenmill.engine.train.tasks;

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

  /** Draws one problem of the given level. */
  Problem generate(int level, RandomGenerator rng);
}
