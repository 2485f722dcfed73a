package io.tokenmill.jobs.run;

import java.io.IOException;

/**
 * File operations a runner needs on the output directory ({@link OutputLayout}). A run calls {@link #lock}
 * first, {@link #prepare} before reading committed rows, and {@link #release} in a finally.
 */
public interface OutputStore {

  /**
   * Claims the output for run {@code s} before anything is written: refuses (exit status 2, naming the path)
   * a regular file, a non-empty directory Tokenmill did not create, a path overlapping the input, or an output
   * another live run holds; writes the {@code _tokenmill} marker; takes {@code _lock} ({@link OutputGuard}).
   */
  void lock(JobSettings s) throws IOException;

  /** Releases the lock taken by {@link #lock}; safe to call when it was not taken. */
  void release() throws IOException;

  /** Applies output.mode before the run: fail if output exists, delete the old output, or drop stale staging. */
  void prepare(JobSettings.OutputMode mode) throws IOException;

  /**
   * After {@link #prepare}: records {@code identity} in {@code run_identity.json}, or refuses (exit status 2,
   * listing each differing key) to resume rows written with other content-determining settings
   * ({@link RunIdentity#check}).
   */
  void checkIdentity(RunIdentity identity, java.util.function.Consumer<String> warn) throws IOException;

  /**
   * Throws an {@link OutputWriteException} that explains {@code failure} when it is a failed write (a full
   * disk): what was being written, that the wave was not committed, that resume redoes it. Returns otherwise.
   */
  void rethrowWriteFailure(Exception failure) throws OutputWriteException;

  /** Whether any wave has been committed. */
  boolean hasCommittedRows() throws IOException;

  /** Path (string form) of the staging directory for a wave. */
  String stagingDir(String waveDir);

  /** Atomically moves a finished wave from staging to rows/. */
  void commit(String waveDir) throws IOException;

  /** Path of rows/ (string form). */
  String rowsDir();

  /** Writes runs/RUNID/run_summary.json (this run's record, kept) and run_summary.json (tmp file + rename). */
  void writeSummary(String json) throws IOException;

  /** Writes a small file at the top of the output (tmp file + rename); null text deletes it. */
  void writeText(String name, String text) throws IOException;

  /** Deletes a wave's staging directory (a wave that failed its check is generated again). */
  void discardStaging(String waveDir) throws IOException;

  /**
   * TESTS ONLY ({@code test.fault.staging}): damages a staged wave the way a lost or repeated task output
   * would — {@code lose} deletes one staged Parquet file, {@code duplicate} stages a copy of one.
   */
  void damageStaging(String waveDir, String how) throws IOException;
}
