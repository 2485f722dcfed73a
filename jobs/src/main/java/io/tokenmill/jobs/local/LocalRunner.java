package io.tokenmill.jobs.local;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.jobs.report.ArrowReportRows;
import io.tokenmill.jobs.report.ReportRows;
import io.tokenmill.jobs.report.RunReport;
import io.tokenmill.jobs.report.ThroughputTimeline;
import io.tokenmill.jobs.run.DuplicateIds;
import io.tokenmill.jobs.run.ExampleRows;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.LocalOutputStore;
import io.tokenmill.jobs.run.OutputLayout;
import io.tokenmill.jobs.run.ProgressLine;
import io.tokenmill.jobs.run.RunIdentity;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.run.RunTotals;
import io.tokenmill.jobs.run.WaveCommitter;
import io.tokenmill.jobs.run.WaveKeys;
import io.tokenmill.udfs.exec.DeviceChoice;
import io.tokenmill.udfs.exec.EngineCache;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.LoadedEngine;
import io.tokenmill.udfs.exec.RowGenerator;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.input.InputPositions;
import io.tokenmill.udfs.input.RawRecord;
import io.tokenmill.udfs.rows.InputNormalizer;
import io.tokenmill.udfs.rows.InputSpec;
import io.tokenmill.udfs.rows.KeptColumns;
import io.tokenmill.udfs.rows.PromptRow;
import io.tokenmill.udfs.rows.ResultRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The Spark-free runner: the same inputs, checks, waves, resume and output Parquet as the Spark job, read
 * and written through Apache Arrow, with one engine in this process. For quick runs, notebooks without a
 * cluster, and as the engine-alone baseline that measures Spark's overhead.
 */
public final class LocalRunner {

  /**
   * One allocator for the process, never closed: Arrow's dataset writer exports batches to native code,
   * which releases them later on its own threads; closing a per-run allocator first would fail those
   * releases ("allocator is closed") and report a false leak.
   */
  private static final BufferAllocator ALLOCATOR = new RootAllocator();

  private LocalRunner() {}

  public static RunSummary run(JobSettings s) throws IOException {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    ModelDir.validate(Path.of(s.modelPath()));
    if (s.inputPath().contains("://") && !s.inputPath().startsWith("file:")) {
      throw new IllegalArgumentException("the local runner reads local files only, not " + s.inputPath());
    }
    LocalOutputStore store = new LocalOutputStore(Path.of(s.outputPath()));
    store.lock(s); // refuses an output that is not Tokenmill's, overlaps the input or is held by another run
    InputTable table = null;
    try {
      BufferAllocator allocator = ALLOCATOR;
      table = InputReaders.read(s.inputPath(), s.inputFormat(), allocator);
      InputSpec.Resolved columns = s.inputSpec().check(table.kinds(), s.inputPath());
      KeptValues kept = new KeptValues(table, KeptColumns.resolve(s.keepColumns(), List.copyOf(table.kinds().keySet()),
          s.inputSpec(), "input " + s.inputPath()));
      InputNormalizer normalizer = new InputNormalizer(columns);
      List<PromptRow> prompts = new ArrayList<>();
      for (RawRecord r : table.records()) {
        PromptRow p = InputPositions.prompt(normalizer, r, table.offsets());
        if (s.inputLimit() == 0 || p.position() < s.inputLimit()) prompts.add(p);
      }
      Map<String, Long> firstPositions = DuplicateIds.firstPositions(prompts);
      List<DuplicateIds.Later> later = DuplicateIds.later(prompts, firstPositions);
      int n = s.context().generation().n();

      store.prepare(s.outputMode());
      store.checkIdentity(RunIdentity.of(s), RunIdentity::warn); // refuses resuming other settings
      store.writeText(OutputLayout.DUPLICATES, DuplicateIds.fileText(later));
      Map<String, Set<Integer>> committed = new HashMap<>();
      if (store.hasCommittedRows()) {
        for (ResultRow r : ArrowParquet.readAll(Path.of(store.rowsDir()), allocator)) {
          committed.computeIfAbsent(r.id(), k -> new HashSet<>()).add(r.sample());
        }
      }
      List<PromptRow> unique = prompts.stream().filter(p -> !DuplicateIds.isLater(p, firstPositions)).toList();
      List<PromptRow> pending = unique.stream()
          .filter(p -> committed.getOrDefault(p.id(), Set.of()).stream().filter(x -> x >= 0 && x < n).count() < n)
          .toList();
      Map<String, Set<Integer>> partial = new HashMap<>();
      for (PromptRow p : pending) {
        Set<Integer> c = committed.get(p.id());
        if (c != null) partial.put(p.id(), c);
      }
      RunContext ctx = s.context().withCommittedSamples(partial);
      long resumed = unique.size() - pending.size();
      int waves = s.wavesFor(pending.size());
      if (s.progress()) {
        System.err.printf("[tokenmill] %,d prompts, %,d already in %s, %,d to generate in %d wave(s); loading %s%n",
            prompts.size(), resumed, s.outputPath(), pending.size(), waves, s.modelPath());
        if (!later.isEmpty()) {
          System.err.printf("[tokenmill] %,d row(s) repeat an earlier row's id and are not generated: %s%n",
              later.size(), Path.of(s.outputPath()).resolve(OutputLayout.DUPLICATES));
        }
      }

      EngineCache.Key key = ctx.engineKey(DeviceChoice.resolve(ctx.deviceSpec(), null));
      long g0 = System.nanoTime(); // the generation phase: engine load (as on Spark executors) and the waves
      try (EngineCache.Lease lease = EngineCache.acquire(key)) {
        LoadedEngine engine = lease.engine();
        AtomicLong rowsDone = new AtomicLong();
        AtomicLong tokens = new AtomicLong();
        int committedWaves = 0;
        int retried = 0;
        boolean stopped = false;
        ThroughputTimeline timeline = ThroughputTimeline.start(rowsDone::get, tokens::get);
        try (timeline; ProgressLine progress = new ProgressLine(System.err, (long) pending.size() * n,
            rowsDone::get, tokens::get, s.progressIntervalSeconds(), s.progress())) {
          for (int w = 0; w < waves && !pending.isEmpty(); w++) {
            progress.stage("wave " + (w + 1) + "/" + waves);
            final int wave = w;
            List<PromptRow> owed = pending.stream().filter(p -> p.wave(waves) == wave).toList();
            if (owed.isEmpty()) { // no pending prompt hashed into this wave
              committedWaves++;
              continue;
            }
            retried += WaveCommitter.commit(store, s, w, waves, (staging, attempt) -> {
              RowGenerator generator = new RowGenerator(engine, ctx, attempt);
              List<ResultRow> out = new ArrayList<>();
              List<Long> positions = new ArrayList<>(); // of each row's input row, for its kept columns
              for (Iterator<RowGenerator.Sourced> it = generator.processWithSource(owed.iterator()); it.hasNext(); ) {
                RowGenerator.Sourced sourced = it.next();
                ResultRow r = sourced.row();
                out.add(r);
                positions.add(sourced.prompt().position());
                if (out.size() == 1) s.testPause().at("wave_running:" + (wave + 1));
                rowsDone.incrementAndGet();
                tokens.addAndGet(r.outputTokens());
              }
              ArrowParquet.write(out, positions.stream().mapToLong(Long::longValue).toArray(), kept, Path.of(staging),
                  allocator);
            }, staging -> WaveKeys.check(owed.stream().map(PromptRow::id).toList(), n, ctx::committedSamplesOf,
                Files.isDirectory(Path.of(staging)) ? ArrowParquet.readAll(Path.of(staging), allocator) : List.of()),
                msg -> System.err.println("[tokenmill] " + msg));
            committedWaves++;
            if (s.stopAfterWaves() > 0 && committedWaves >= s.stopAfterWaves() && w + 1 < waves) {
              stopped = true;
              break;
            }
          }
        }

        double generationSeconds = (System.nanoTime() - g0) / 1e9;
        RunTotals totals = new RunTotals();
        List<ResultRow> written = ArrowParquet.readAll(Path.of(store.rowsDir()), allocator);
        for (ResultRow r : written) totals.add(r, s.runId());
        EngineReport report = EngineReport.of("local", java.net.InetAddress.getLocalHost().getHostName(),
            ProcessHandle.current().pid(), engine.deviceName(), EngineCache.loads(key), engine.loadMillis(),
            engine.engine().metrics());
        RunSummary summary = new RunSummary(s, totals, prompts.size(), resumed, waves,
            committedWaves, (System.nanoTime() - t0) / 1e9, List.of(report), started, null, stopped)
            .withIntegrity(later.size(), retried).withGenerationSeconds(generationSeconds);
        store.writeSummary(summary.toJsonString());
        RunReport.write(store, summary, s, () -> written.isEmpty() ? new ReportRows(null, 0, RunReport.SAMPLE_ROWS)
            : ArrowReportRows.read(Path.of(store.rowsDir()), allocator, RunReport.groupBy(s), totals.rows),
            timeline.points(), msg -> System.err.println("[tokenmill] " + msg));
        return summary.withExamples(ExampleRows.pick(written, totals, s.examples()));
      }
    } catch (Exception e) { // Scala code throws checked SparkExceptions undeclared; the rethrow stays precise
      store.rethrowWriteFailure(e); // a full disk, explained
      throw e;
    } finally {
      if (table != null) table.close(); // the Parquet input's batches, kept for passed-through columns
      store.release();
    }
  }
}
