package io.tokenmill.reasoner.tasks;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The task registry and the two problem streams drawn from it: training problems (never held out) and
 * held-out evaluation problems (only held out, see {@link HeldOutSplit}).
 */
public final class Tasks {

  /** The arithmetic tasks (the v1 model's four), in table order. */
  public static final List<Task> ALL =
      List.of(new Addition(), new Subtraction(), new Multiplication(), new DigitCount());

  /** Seating puzzles solved by visible search. */
  public static final Task SEATING = new Seating();

  /** Every task a run can be trained on ({@link TaskMix} names them). */
  public static final List<Task> KNOWN = List.of(ALL.get(0), ALL.get(1), ALL.get(2), ALL.get(3), SEATING);

  /** Seed of the held-out evaluation sets in docs/MODELS.md, tests and data-samples/prompts. */
  public static final long EVAL_SEED = 20261128L;

  private Tasks() {}

  public static Task byName(String name) {
    for (Task t : KNOWN) if (t.name().equals(name)) return t;
    throw new IllegalArgumentException("unknown task '" + name + "'; known: "
        + KNOWN.stream().map(Task::name).toList());
  }

  /** An endless training stream: task drawn by the mix, level uniform, held-out problems skipped. */
  public static final class TrainingStream {
    private final RandomGenerator rng;
    private final TaskMix mix;

    public TrainingStream(long seed) {
      this(seed, TaskMix.ARITHMETIC);
    }

    public TrainingStream(long seed, TaskMix mix) {
      this.rng = new SplittableRandom(seed);
      this.mix = mix;
    }

    public Problem next() {
      while (true) {
        Task task = mix.draw(rng);
        Problem p = task.generate(1 + rng.nextInt(task.levels()), rng);
        if (!HeldOutSplit.isHeldOut(p)) return p;
      }
    }
  }

  /**
   * {@code count} held-out problems of one task and level, its strata in equal shares as in training,
   * distinct within a stratum while its held-out slice lasts (one-digit strata have about ten held-out
   * problems each; they then repeat).
   */
  public static List<Problem> heldOut(Task task, int level, int count, long seed) {
    RandomGenerator rng = new SplittableRandom(seed * 31 + task.name().hashCode() * 7L + level);
    int strata = task.strata(level);
    List<Problem> out = new ArrayList<>();
    for (int stratum = 0; stratum < strata; stratum++) {
      int want = count / strata + (stratum < count % strata ? 1 : 0);
      Set<String> seen = new LinkedHashSet<>();
      int misses = 0;
      int taken = 0;
      while (taken < want) {
        Problem p = task.generate(level, stratum, rng);
        if (!HeldOutSplit.isHeldOut(p)) continue;
        if (seen.add(p.prompt()) || misses > 20_000) {
          out.add(p);
          taken++;
        } else {
          misses++;
        }
      }
    }
    return out;
  }

  /** {@code perLevel} held-out problems of every level of a task, level by level. */
  public static List<Problem> heldOut(Task task, int perLevel, long seed) {
    List<Problem> out = new ArrayList<>();
    for (int level = 1; level <= task.levels(); level++) out.addAll(heldOut(task, level, perLevel, seed));
    return out;
  }
}
