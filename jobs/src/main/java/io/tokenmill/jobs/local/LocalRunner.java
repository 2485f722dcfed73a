package io.tokenmill.jobs.local;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.jobs.run.ExampleRows;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.LocalOutputStore;
import io.tokenmill.jobs.run.OutputLayout;
import io.tokenmill.jobs.run.ProgressLine;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.run.RunTotals;
import io.tokenmill.udfs.exec.DeviceChoice;
import io.tokenmill.udfs.exec.EngineCache;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.LoadedEngine;
import io.tokenmill.udfs.exec.RowGenerator;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.InputNormalizer;
import io.tokenmill.udfs.rows.InputSpec;
import io.tokenmill.udfs.rows.PromptRow;
import io.tokenmill.udfs.rows.ResultRow;
import java.io.IOException;
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
    try {
      BufferAllocator allocator = ALLOCATOR;
      InputTable table = InputReaders.read(s.inputPath(), s.inputFormat(), s.inputLimit(), allocator);
      InputSpec.Resolved columns = s.inputSpec().check(table.kinds(), s.inputPath());
      InputNormalizer normalizer = new InputNormalizer(columns);
      List<PromptRow> prompts = new ArrayList<>();
      for (int i = 0; i < table.rows().size(); i++) {
        InputTable.Row r = table.rows().get(i);
        PromptRow p = normalizer.normalize(r.values()::get, i);
        prompts.add(r.readError() == null ? p : p.withError(r.readError()));
      }
      Map<String, Long> first = new HashMap<>();
      Map<String, Long> duplicates = new HashMap<>();
      for (PromptRow p : prompts) {
        Long f = first.putIfAbsent(p.id(), p.position());
        if (f != null) duplicates.put(p.id(), f);
      }
      RunContext ctx = s.context().withDuplicates(duplicates);

      store.prepare(s.outputMode());
      Set<String> done = new HashSet<>();
      if (store.hasCommittedRows()) {
        for (ResultRow r : ArrowParquet.readAll(Path.of(store.rowsDir()), allocator)) done.add(r.id());
      }
      List<PromptRow> pending = prompts.stream().filter(p -> !done.contains(p.id())).toList();
      int waves = s.wavesFor(pending.size());
      if (s.progress()) {
        System.err.printf("[tokenmill] %,d prompts, %,d already in %s, %,d to generate in %d wave(s); loading %s%n",
            prompts.size(), prompts.size() - pending.size(), s.outputPath(), pending.size(), waves, s.modelPath());
      }

      EngineCache.Key key = ctx.engineKey(DeviceChoice.resolve(ctx.deviceSpec(), null));
      LoadedEngine engine = EngineCache.get(key);
      AtomicLong rowsDone = new AtomicLong();
      AtomicLong tokens = new AtomicLong();
      int committed = 0;
      boolean stopped = false;
      try (ProgressLine progress = new ProgressLine(System.err, (long) pending.size() * ctx.generation().n(),
          rowsDone::get, tokens::get, s.progressIntervalSeconds(), s.progress())) {
        for (int w = 0; w < waves && !pending.isEmpty(); w++) {
          progress.stage("wave " + (w + 1) + "/" + waves);
          final int wave = w;
          Iterator<PromptRow> input = pending.stream().filter(p -> p.wave(waves) == wave).iterator();
          RowGenerator generator = new RowGenerator(engine, ctx, 0);
          List<ResultRow> out = new ArrayList<>();
          for (Iterator<ResultRow> it = generator.process(input); it.hasNext(); ) {
            ResultRow r = it.next();
            out.add(r);
            if (out.size() == 1) s.testPause().at("wave_running:" + (w + 1));
            rowsDone.incrementAndGet();
            tokens.addAndGet(r.outputTokens());
          }
          String waveDir = OutputLayout.waveDirName(s.runId(), w);
          if (!out.isEmpty()) { // a wave whose ids were all committed by an earlier run has nothing to write
            ArrowParquet.write(out, Path.of(store.stagingDir(waveDir)), allocator);
            store.commit(waveDir);
          }
          committed++;
          if (s.stopAfterWaves() > 0 && committed >= s.stopAfterWaves() && w + 1 < waves) {
            stopped = true;
            break;
          }
        }
      }

      RunTotals totals = new RunTotals();
      List<ResultRow> written = ArrowParquet.readAll(Path.of(store.rowsDir()), allocator);
      for (ResultRow r : written) totals.add(r, s.runId());
      EngineReport report = EngineReport.of("local", java.net.InetAddress.getLocalHost().getHostName(),
          ProcessHandle.current().pid(), engine.deviceName(), EngineCache.loads(key), engine.loadMillis(),
          engine.engine().metrics());
      RunSummary summary = new RunSummary(s, totals, prompts.size(), prompts.size() - pending.size(), waves,
          committed, (System.nanoTime() - t0) / 1e9, List.of(report), started, null, stopped);
      store.writeSummary(summary.toJsonString());
      return summary.withExamples(ExampleRows.pick(written, totals, s.examples()));
    } catch (Exception e) { // Scala code throws checked SparkExceptions undeclared; the rethrow stays precise
      store.rethrowWriteFailure(e); // a full disk, explained
      throw e;
    } finally {
      store.release();
    }
  }
}
