package io.tokenmill.udfs.spark;

import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.udfs.exec.DeviceChoice;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.EngineCache;
import io.tokenmill.udfs.exec.FaultInjection;
import io.tokenmill.udfs.exec.LoadedEngine;
import io.tokenmill.udfs.exec.RowGenerator;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.PromptRow;
import io.tokenmill.udfs.rows.ResultRow;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import scala.Option;

/**
 * The executor side of the job: normalised prompt rows in ({@link SparkRows#PROMPTS}), result rows out
 * ({@link SparkRows#OUTPUT}), streamed as samples finish. The task's device comes from Spark's GPU
 * assignment ({@code TaskContext.resources()}), the engine from the JVM-wide {@link EngineCache}, so all
 * concurrent tasks of an executor feed one engine. A task-completion listener cancels what a failed or
 * killed task still has in the engine.
 *
 * <p>Input columns kept by {@code output.keep_columns} travel as a trailing struct of the prompt row ({@link
 * SparkRows#promptsWith}); each output row then starts with their values ({@link SparkRows#outputWith}).
 */
public final class InferencePartition implements MapPartitionsFunction<Row, Row> {

  /** Accumulators the driver's progress line and summary read. */
  public record Counters(LongAccumulator rows, LongAccumulator outputTokens, CollectionAccumulator<EngineReport> reports)
      implements java.io.Serializable {}

  private final RunContext ctx;
  private final Counters counters;
  private final FaultInjection fault;

  public InferencePartition(RunContext ctx, Counters counters, FaultInjection fault) {
    this.ctx = ctx;
    this.counters = counters;
    this.fault = fault;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    TaskContext task = TaskContext.get();
    ComputeDevice device = DeviceChoice.resolve(ctx.deviceSpec(), assignedGpu(task));
    EngineCache.Key key = ctx.engineKey(device);
    EngineCache.Lease lease = EngineCache.acquire(key);
    LoadedEngine engine = lease.engine();
    RowGenerator generator = new RowGenerator(engine, ctx, task.attemptNumber());
    task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) t -> {
      generator.cancelAll();
      lease.close();
    });
    PassThrough kept = new PassThrough(ctx);
    Iterator<RowGenerator.Sourced> results = generator.processWithSource(new Iterator<>() {
      @Override public boolean hasNext() { return input.hasNext(); }
      @Override public PromptRow next() { return kept.remember(input.next()); }
    });
    int partition = task.partitionId();
    int attempt = task.attemptNumber();
    return new Iterator<>() {
      private long emitted;
      private boolean reported;

      @Override
      public boolean hasNext() {
        boolean more = results.hasNext();
        if (!more && !reported) {
          reported = true;
          SparkEnv env = SparkEnv.get();
          counters.reports().add(EngineReport.of(env.executorId(), env.blockManager().blockManagerId().host(),
              ProcessHandle.current().pid(), engine.deviceName(), EngineCache.loads(key), engine.loadMillis(),
              engine.engine().metrics()));
        }
        return more;
      }

      @Override
      public Row next() {
        if (!hasNext()) throw new NoSuchElementException();
        if (fault.failsHere(partition, attempt, emitted)) {
          throw new IllegalStateException("injected fault (test.fault.*): partition " + partition + " attempt "
              + attempt + " fails after " + emitted + " rows");
        }
        RowGenerator.Sourced sourced = results.next();
        ResultRow r = sourced.row();
        emitted++;
        counters.rows().add(1);
        counters.outputTokens().add(r.outputTokens());
        return kept.prepend(sourced.prompt(), r);
      }
    };
  }

  /**
   * The input columns each result row carries ahead of the output columns: the trailing struct of a prompt row
   * ({@link SparkRows#KEPT}, present when {@code output.keep_columns} keeps any), held from the moment the
   * engine takes the prompt until its last sample's row leaves, keyed by the prompt row object itself (two input
   * rows may share an id).
   */
  private static final class PassThrough {
    private final RunContext ctx;
    private final IdentityHashMap<PromptRow, Object[]> values = new IdentityHashMap<>();
    private final IdentityHashMap<PromptRow, Integer> rowsLeft = new IdentityHashMap<>();

    PassThrough(RunContext ctx) {
      this.ctx = ctx;
    }

    PromptRow remember(Row in) {
      PromptRow p = SparkRows.toPrompt(in);
      if (in.length() > SparkRows.PROMPTS.length()) {
        Row k = in.getStruct(SparkRows.PROMPTS.length());
        Object[] v = new Object[k.length()];
        for (int i = 0; i < v.length; i++) v[i] = k.get(i);
        int n = ctx.generation().n();
        int committed = (int) ctx.committedSamplesOf(p.id()).stream().filter(s -> s >= 0 && s < n).count();
        values.put(p, v);
        rowsLeft.put(p, n - committed);
      }
      return p;
    }

    Row prepend(PromptRow p, ResultRow r) {
      Object[] k = values.get(p);
      if (k == null) return SparkRows.toRow(r);
      int left = rowsLeft.merge(p, -1, Integer::sum);
      if (left <= 0) {
        values.remove(p);
        rowsLeft.remove(p);
      }
      Object[] out = SparkRows.values(r);
      Object[] all = new Object[k.length + out.length];
      System.arraycopy(k, 0, all, 0, k.length);
      System.arraycopy(out, 0, all, k.length, out.length);
      return RowFactory.create(all);
    }
  }

  private static String assignedGpu(TaskContext task) {
    Option<ResourceInformation> gpu = task.resources().get("gpu");
    if (gpu.isEmpty() || gpu.get().addresses().length == 0) return null;
    return gpu.get().addresses()[0];
  }
}
