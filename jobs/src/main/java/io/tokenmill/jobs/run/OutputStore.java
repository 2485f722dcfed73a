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
}
