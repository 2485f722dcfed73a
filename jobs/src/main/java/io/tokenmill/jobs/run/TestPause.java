package io.tokenmill.jobs.run;

import io.tokenmill.jobs.config.JobConfig;
import java.io.Serializable;

/**
 * TESTS ONLY ({@code test.fault.pause_at}, {@code test.fault.pause_s}): at a named point the driver (or, for
 * {@code wave_running}, the task, which runs in the driver JVM on a local master) prints
 * {@code [tokenmill test] paused at POINT} to stderr and sleeps, so a test can kill the process there.
 * Points: {@code wave_running:N} (wave N has produced its first row), {@code before_commit:N} (wave N is
 * complete in staging), {@code after_commit:N} (wave N was moved under rows/), {@code summary} (the summary's
 * temporary file is written, not yet renamed). Waves count from 1.
 */
public record TestPause(String point, double seconds) implements Serializable {
  public static final TestPause NONE = new TestPause(null, 0);
  public static final String MARKER = "[tokenmill test] paused at ";

  public static TestPause of(JobConfig c) {
    String point = c.string("test.fault.pause_at");
    return point == null || point.isBlank() ? NONE : new TestPause(point.trim(), c.number("test.fault.pause_s"));
  }

  public boolean pausesAt(String here) {
    return here.equals(point);
  }

  /** Pauses if {@code here} is the configured point. */
  public void at(String here) {
    if (!pausesAt(here)) return;
    System.err.println(MARKER + here);
    System.err.flush();
    try {
      Thread.sleep((long) (seconds * 1000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
