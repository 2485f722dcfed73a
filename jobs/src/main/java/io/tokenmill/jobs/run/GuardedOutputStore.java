package io.tokenmill.jobs.run;

import java.io.IOException;
import java.time.Duration;

/**
 * What both stores share: the {@link OutputGuard} (marker, refusals, lock, output.mode), the test pause points
 * around commits and the summary, and the record of what is being written so a failed write can be explained.
 * Subclasses supply the file system operations.
 */
public abstract class GuardedOutputStore implements OutputStore {
  private final OutputGuard guard;
  private final OutputFiles files;
  private final String root;
  private String runId;
  private TestPause pause = TestPause.NONE;
  private int diskFullAtWave;
  private volatile String activity;
  private volatile String activityWave;

  protected GuardedOutputStore(OutputFiles files) {
    this.guard = new OutputGuard(files);
    this.files = files;
    this.root = files.root();
  }

  @Override
  public final void lock(JobSettings s) throws IOException {
    pause = s.testPause();
    diskFullAtWave = s.config().integer("test.fault.disk_full_at_wave");
    runId = s.runId();
    guard.claim(s.inputPath(), s.runId(), Duration.ofMillis((long) (s.lockTimeoutSeconds() * 1000)));
  }

  @Override
  public final void release() throws IOException {
    guard.release();
  }

  @Override
  public final void prepare(JobSettings.OutputMode mode) throws IOException {
    guard.prepare(mode);
  }

  @Override
  public final void checkIdentity(RunIdentity identity, java.util.function.Consumer<String> warn) throws IOException {
    identity.check(files, hasCommittedRows(), runId, warn);
  }

  @Override
  public final void rethrowWriteFailure(Exception failure) throws OutputWriteException {
    OutputWriteException e = OutputWriteException.explain(failure, root, activity);
    if (e == null) return;
    String wave = activityWave;
    if (wave != null) {
      try { // free what the failed wave wrote; the next run would delete it anyway
        deleteStaging(wave);
      } catch (IOException | RuntimeException ignored) {
        // staging is never read; resume deletes it
      }
    }
    throw e;
  }

  @Override
  public final String stagingDir(String waveDir) {
    activity = "writing wave " + waveDir + " to " + staging(waveDir);
    activityWave = waveDir;
    if (diskFullAtWave > 0 && waveNumber(waveDir) == diskFullAtWave) { // TESTS ONLY, where tmpfs cannot be mounted
      throw new java.io.UncheckedIOException(new IOException("No space left on device (test.fault.disk_full_at_wave)"));
    }
    return staging(waveDir);
  }

  @Override
  public final void discardStaging(String waveDir) throws IOException {
    deleteStaging(waveDir);
  }

  @Override
  public final void commit(String waveDir) throws IOException {
    int n = waveNumber(waveDir);
    pause.at("before_commit:" + n);
    guard.checkHeld("committing " + waveDir);
    activity = "committing wave " + waveDir;
    activityWave = null;
    move(waveDir);
    activity = null;
    pause.at("after_commit:" + n);
  }

  @Override
  public final void writeSummary(String json) throws IOException {
    activity = "writing " + root + "/" + OutputLayout.SUMMARY;
    activityWave = null;
    String own = OutputLayout.runSummary(runId); // every run's record is kept; the top one is the latest
    files.mkdirs(own.substring(0, own.lastIndexOf('/')));
    files.write(own, json);
    writeSummaryTmp(json);
    pause.at("summary");
    replaceSummary();
    activity = null;
  }

  /** The staging directory of a wave. */
  protected abstract String staging(String waveDir);

  /** Deletes a wave's staging directory. */
  protected abstract void deleteStaging(String waveDir) throws IOException;

  /** Moves a finished wave from staging to rows/ (atomically where the file system can). */
  protected abstract void move(String waveDir) throws IOException;

  /** Writes the summary's temporary file. */
  protected abstract void writeSummaryTmp(String json) throws IOException;

  /** Renames the temporary summary over run_summary.json. */
  protected abstract void replaceSummary() throws IOException;

  protected static String summaryTmp() {
    return "." + OutputLayout.SUMMARY + ".tmp";
  }

  /** Wave number counted from 1, from {@link OutputLayout#waveDirName}. */
  static int waveNumber(String waveDir) {
    try {
      return Integer.parseInt(waveDir.substring(waveDir.lastIndexOf('-') + 1)) + 1;
    } catch (RuntimeException e) {
      return 0;
    }
  }
}
