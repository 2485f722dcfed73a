package io.tokenmill.jobs.run;

import java.io.IOException;
import java.util.Locale;

/**
 * Writing the output failed for lack of space (or another write error the file system reported), explained:
 * which output, what was being written, that nothing of the failed wave was committed, and that a resume run
 * redoes it. The original failure is the cause.
 */
public final class OutputWriteException extends IOException {

  private OutputWriteException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The explanation for {@code failure}, or null when it is not a failed write. */
  public static OutputWriteException explain(Throwable failure, String root, String activity) {
    String reason = reason(failure);
    if (reason == null) return null;
    String what = activity == null ? "writing to " + root : activity;
    String next = activity != null && activity.contains(OutputLayout.SUMMARY)
        ? "every wave is committed; re-run with output.mode: resume to write the summary"
        : "nothing of this wave was committed (rows/ holds only whole waves); free space and re-run with "
            + "output.mode: resume, which redoes this wave and the ones after it";
    return new OutputWriteException(what + " failed: " + reason + " (output.path " + root + "); " + next,
        failure);
  }

  private static String reason(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("no space left") || m.contains("disk quota exceeded")) {
        return "the disk is full (" + firstLine(t.getMessage()) + ")";
      }
      if (m.contains("error writing bytes to file")) { // Arrow's native writer, which drops errno
        return "the file system refused the write, most likely because the disk is full (" + firstLine(t.getMessage()) + ")";
      }
    }
    return null;
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
