package io.tokenmill.reasoner.tasks;

/** Lets tests in other packages reuse the independent answer check of {@link TaskGeneratorsTest}. */
public final class TaskGeneratorsTestAccess {
  private TaskGeneratorsTestAccess() {}

  public static String independentAnswer(Problem p) {
    return TaskGeneratorsTest.independentAnswer(p);
  }
}
