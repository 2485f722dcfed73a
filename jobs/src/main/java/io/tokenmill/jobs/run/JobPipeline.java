package io.tokenmill.jobs.run;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.jobs.report.ReportRows;
import io.tokenmill.jobs.report.RunReport;
import io.tokenmill.jobs.report.ThroughputTimeline;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.RunContext;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * The generate job's steps, written once for both runners ({@link JobBackend}): validate the model, open
 * the backend, lock the output, read the input, record the duplicate ids, prepare the output and check
 * the run's identity, plan resume, generate the waves (each staged, checked against the keys it owes and
 * committed by {@link WaveCommitter}), then sum the committed rows, write the summary and the report.
 * A fix here lands in the Spark runner and the Arrow runner alike.
 */
public final class JobPipeline {

  /** Opens a backend after the model is validated and before the output is locked (Spark starts here). */
  @FunctionalInterface
  public interface Opener {
    JobBackend open(JobSettings s, Consumer<String> say) throws IOException;
  }

  private static final long T0 = System.nanoTime();

  private JobPipeline() {}

  public static RunSummary run(JobSettings s, Opener opener) throws IOException {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    Consumer<String> say = msg -> say(s, msg);
    // Checks before any backend starts or any data is read: the model dir as a whole.
    say.accept("validating model " + s.modelPath());
    ModelDir.validate(Path.of(s.modelPath()));
    try (JobBackend backend = opener.open(s, say)) {
      OutputStore store = backend.store();
      store.lock(s); // refuses an output that is not Tokenmill's, overlaps the input or is held by another run
      try {
        return run(s, backend, store, started, t0, say);
      } catch (Exception e) { // Scala code throws checked SparkExceptions undeclared; the rethrow stays precise
        store.rethrowWriteFailure(e); // a full disk, explained
        throw e;
      } finally {
        store.release();
      }
    }
  }

  private static RunSummary run(JobSettings s, JobBackend backend, OutputStore store, Instant started, long t0,
      Consumer<String> say) throws IOException {
    backend.label("tokenmill read input");
    JobBackend.Input input = backend.read();
    say.accept("read " + input.prompts() + " prompts; checking ids and committed output");

    backend.label("tokenmill plan (duplicate ids, committed keys)");
    store.prepare(s.outputMode());
    store.checkIdentity(RunIdentity.of(s), RunIdentity::warn); // refuses resuming other settings
    store.writeText(OutputLayout.DUPLICATES, DuplicateIds.fileText(input.later()));
    int n = s.context().generation().n();
    JobBackend.Pending plan = backend.pending(n);
    RunContext ctx = s.context().withCommittedSamples(plan.partialSamples());
    long resumed = plan.unique() - plan.pending();
    int waves = s.wavesFor(plan.pending());
    say.accept(String.format("%,d prompts, %,d already in %s, %,d to generate in %d wave(s)%s", input.prompts(),
        resumed, s.outputPath(), plan.pending(), waves, backend.waveShape()));
    if (!input.later().isEmpty()) {
      say.accept(String.format("%,d row(s) repeat an earlier row's id and are not generated: %s/%s",
          input.later().size(), s.outputPath(), OutputLayout.DUPLICATES));
    }

    long g0 = System.nanoTime(); // the generation phase: engines load (in the first wave on Spark) and the waves
    int committedWaves = 0;
    int retried = 0;
    boolean stopped = false;
    List<EngineReport> engines;
    List<ThroughputTimeline.Point> timelinePoints;
    try (JobBackend.Generation gen = backend.generation(ctx, waves)) {
      ThroughputTimeline timeline = ThroughputTimeline.start(gen::rows, gen::tokens);
      try (timeline; ProgressLine progress = new ProgressLine(System.err, plan.pending() * n, gen::rows,
          gen::tokens, s.progressIntervalSeconds(), s.progress())) {
        for (int w = 0; w < waves && plan.pending() > 0; w++) {
          String which = "wave " + (w + 1) + "/" + waves;
          progress.stage(which);
          if (!gen.owesNothing(w, waves)) {
            final int wave = w;
            // each phase labels its work: on Spark the UI's job description and stage name say what runs
            retried += WaveCommitter.commit(store, s, w, waves,
                (staging, attempt) -> {
                  backend.label("tokenmill generate " + which);
                  gen.write(wave, waves, staging, attempt);
                },
                staging -> {
                  backend.label("tokenmill check " + which);
                  return gen.check(wave, waves, staging);
                },
                msg -> System.err.println("[tokenmill] " + msg)); // a retried wave is said even when quiet
          }
          committedWaves++;
          if (s.stopAfterWaves() > 0 && committedWaves >= s.stopAfterWaves() && w + 1 < waves) {
            stopped = true;
            break;
          }
        }
      }
      timelinePoints = timeline.points();
      engines = gen.engineReports();
    }
    double generationSeconds = (System.nanoTime() - g0) / 1e9;

    say.accept("waves done; summarising " + store.rowsDir());
    backend.label("tokenmill summary");
    RunTotals totals = backend.totals(s.runId());
    RunSummary summary = new RunSummary(s, totals, input.prompts(), resumed, waves, committedWaves,
        (System.nanoTime() - t0) / 1e9, engines, started, backend.master(), stopped)
        .withIntegrity(input.later().size(), retried).withGenerationSeconds(generationSeconds);
    // The report's rows (one more pass over the output) also give the summary its accuracy per group.
    ReportRows reportRows = null;
    String reportProblem = null;
    if (s.config().bool("output.report")) {
      backend.label("tokenmill report");
      try {
        reportRows = store.hasCommittedRows() ? backend.reportRows(RunReport.groupBy(s), totals.rows)
            : new ReportRows(null, 0, RunReport.SAMPLE_ROWS);
        if (reportRows.groupColumn() != null) summary.withGroupAccuracy(reportRows.groupColumn(), reportRows.byGroup());
      } catch (IOException | RuntimeException e) { // the run is committed; the report is a courtesy
        reportProblem = "could not read the rows for " + OutputLayout.REPORT + ": " + e;
      }
    }
    store.writeSummary(summary.toJsonString());
    try {
      summary.withExamples(backend.examples(totals, s.examples()));
    } catch (RuntimeException | IOException e) { // the run is committed and summarised; examples are a courtesy
      say.accept("could not read example rows: " + e);
    }
    if (reportProblem != null) {
      say.accept(reportProblem);
    } else if (reportRows != null) {
      ReportRows rows = reportRows;
      RunReport.write(store, summary, s, () -> rows, timelinePoints, say);
    }
    return summary;
  }

  /** A progress message on stderr when {@code job.progress} is on, with the seconds since start-up. */
  public static void say(JobSettings s, String what) {
    if (s.progress()) System.err.printf("[tokenmill %6.1fs] %s%n", (System.nanoTime() - T0) / 1e9, what);
  }
}
