package io.tokenmill.jobs.run;

import io.tokenmill.jobs.report.ReportRows;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.ResultRow;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a runner does differently: where prompts and committed rows are read, how a wave is generated, how
 * committed rows are summed. {@link JobPipeline} owns the order of the steps, the checks, the output store's
 * protocol, waves, resume, progress, totals, the summary and the report, once for every backend (Spark:
 * {@code SparkBackend}; one process through Apache Arrow: {@code ArrowBackend}).
 *
 * <p>Calls arrive in this order: {@link #store}, {@link #read} (after the output is locked), {@link #pending}
 * (after it is prepared and its identity checked), {@link #generation}, then {@link #totals},
 * {@link #examples} and {@link #reportRows}; {@link #close} last, after the lock is released.
 */
public interface JobBackend extends AutoCloseable {

  /** The output directory's store; the pipeline locks, prepares, commits and releases it. */
  OutputStore store();

  /** The input as read: how many prompts (after {@code input.limit}) and the rows repeating an earlier id. */
  record Input(long prompts, List<DuplicateIds.Later> later) {}

  /** Reads and normalises the input; a bad file or column fails here, naming it. */
  Input read() throws IOException;

  /**
   * What resume leaves to generate: prompts with distinct ids, those of them not yet holding all {@code n}
   * committed samples, and the committed samples of ids that hold some but not all (only the missing ones
   * are written).
   */
  record Pending(long unique, long pending, Map<String, Set<Integer>> partialSamples) {}

  /** Reads the committed keys (when {@link OutputStore#hasCommittedRows}) and plans the rest. */
  Pending pending(int n) throws IOException;

  /** Words after "N wave(s)" in the plan line, e.g. " of 4 partition(s)"; may be empty. */
  default String waveShape() {
    return "";
  }

  /** The generation phase: opened before the first wave (an engine may load here), closed after the last. */
  interface Generation extends AutoCloseable {

    /** Rows generated so far in this run (live, for the progress line and the throughput timeline). */
    long rows();

    /** Output tokens generated so far in this run (live). */
    long tokens();

    /** Whether wave {@code wave} owes no prompt, so there is nothing to stage (it still counts as committed). */
    default boolean owesNothing(int wave, int waves) {
      return false;
    }

    /** Generates wave {@code wave}'s pending prompts into {@code stagingDir} (attempt 0, 1, ... on a retry). */
    void write(int wave, int waves, String stagingDir, int attempt) throws IOException;

    /** {@link WaveKeys} problems of the staged rows against the keys the wave owes; empty when exact. */
    List<String> check(int wave, int waves, String stagingDir) throws IOException;

    /** One report per engine that ran (per executor on Spark), read after the last wave. */
    List<EngineReport> engineReports() throws IOException;

    @Override
    void close() throws IOException;
  }

  /** Starts the generation phase for {@code ctx} (which carries the committed samples to skip). */
  Generation generation(RunContext ctx, int waves) throws IOException;

  /** Sums over every committed row of the output (this run's and earlier runs'). */
  RunTotals totals(String runId) throws IOException;

  /** job.examples rows for the console ({@link ExampleRows}); called after {@link #totals}. */
  List<ResultRow> examples(RunTotals totals, int k) throws IOException;

  /** The committed rows the report draws, sampled; called only when rows are committed. */
  ReportRows reportRows(String groupBy, long totalRows) throws IOException;

  /** Where the work ran for the summary (Spark's master URL), or null. */
  default String master() {
    return null;
  }

  /** Names what runs next (Spark's job description and stage name); a no-op where nothing shows it. */
  default void label(String what) {}

  /** Frees what the backend holds (cached datasets, input batches); called last. */
  @Override
  void close() throws IOException;
}
