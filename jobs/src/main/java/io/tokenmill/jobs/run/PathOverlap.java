package io.tokenmill.jobs.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Output and input may not contain one another: overwrite would delete the input, and a run reading its own
 * output grows with every wave. Paths are compared in {@link OutputFiles#canonical} form.
 */
public final class PathOverlap {

  private PathOverlap() {}

  /** Throws {@link OutputRefusedException} naming both paths when one contains the other. */
  public static void refuse(String input, String inputCanonical, String output, String outputCanonical) {
    String why = null;
    if (inputCanonical.equals(outputCanonical)) why = "is the input path";
    else if (within(outputCanonical, inputCanonical)) why = "is inside the input path";
    else if (within(inputCanonical, outputCanonical)) why = "contains the input path";
    if (why != null) {
      throw new OutputRefusedException("output.path " + output + " " + why + " " + input
          + (inputCanonical.equals(input) && outputCanonical.equals(output) ? ""
              : " (resolved: output " + outputCanonical + ", input " + inputCanonical + ")")
          + "; write the output somewhere else");
    }
  }

  static boolean within(String inner, String outer) {
    String o = outer.endsWith("/") ? outer : outer + "/";
    return inner.startsWith(o);
  }

  /**
   * A local path made absolute, normalised and with symlinks resolved as far as it exists (the missing tail
   * is appended to the real path of its deepest existing ancestor), as a {@code file://} string.
   */
  public static String localCanonical(Path path) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    Path existing = p;
    while (existing != null && !Files.exists(existing)) existing = existing.getParent();
    Path real = existing == null ? p : existing.toRealPath().resolve(existing.relativize(p));
    return "file://" + real.normalize();
  }
}
