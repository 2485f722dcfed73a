package io.tokenmill.jobs.run;

import java.io.IOException;

/** File operations a runner needs on the output directory ({@link OutputLayout}). */
public interface OutputStore {

  /** Applies output.mode before the run: fail if rows exist, delete everything, or drop stale staging. */
  void prepare(JobSettings.OutputMode mode) throws IOException;

  /** Whether any wave has been committed. */
  boolean hasCommittedRows() throws IOException;

  /** Path (string form) of the staging directory for a wave. */
  String stagingDir(String waveDir);

  /** Atomically moves a finished wave from staging to rows/. */
  void commit(String waveDir) throws IOException;

  /** Path of rows/ (string form). */
  String rowsDir();

  /** Writes run_summary.json (tmp file + rename). */
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
