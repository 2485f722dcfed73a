package io.tokenmill.jobs.run;

/**
 * Where a run writes, the same for both runners:
 *
 * <pre>
 * OUTPUT/rows/wave=RUNID-007/part-*.parquet   committed waves (read OUTPUT/rows as one Parquet dataset)
 * OUTPUT/_staging/wave=RUNID-008/             the wave in flight; moved under rows/ when complete
 * OUTPUT/run_summary.json                     the last run's summary (written atomically)
 * OUTPUT/runs/RUNID/run_summary.json          every run's summary, kept (RUNID sorts by start time)
 * OUTPUT/run_identity.json                    settings that determine row content (RunIdentity)
 * OUTPUT/duplicate_ids.jsonl                  input rows not generated because an earlier row has their id
 * OUTPUT/report.html                          charts and the summary of the last run (output.report)
 * OUTPUT/_tokenmill                           marker: a directory Tokenmill created (OutputGuard)
 * OUTPUT/_lock                                held by the running run (RunLock)
 * </pre>
 *
 * A wave becomes visible only by the rename of its finished directory, so a killed driver leaves either
 * a whole wave or none; the next {@code resume} run deletes {@code _staging} and redoes that wave.
 */
public final class OutputLayout {
  public static final String ROWS = "rows";
  public static final String STAGING = "_staging";
  public static final String SUMMARY = "run_summary.json";
  public static final String DUPLICATES = "duplicate_ids.jsonl";
  public static final String RUNS = "runs";
  public static final String REPORT = "report.html";

  private OutputLayout() {}

  /** Where run {@code runId}'s own summary is kept. */
  public static String runSummary(String runId) {
    return RUNS + "/" + runId + "/" + SUMMARY;
  }

  public static String waveDirName(String runId, int wave) {
    return String.format("wave=%s-%03d", runId, wave);
  }
}
