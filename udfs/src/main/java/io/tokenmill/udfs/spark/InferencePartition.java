package io.tokenmill.udfs.spark;

import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.udfs.exec.DeviceChoice;
import io.tokenmill.udfs.exec.EngineReport;
import io.tokenmill.udfs.exec.EngineCache;
import io.tokenmill.udfs.exec.FaultInjection;
import io.tokenmill.udfs.exec.LoadedEngine;
import io.tokenmill.udfs.exec.RowGenerator;
import io.tokenmill.udfs.exec.RunContext;
import io.tokenmill.udfs.rows.ResultRow;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import scala.Option;

/**
 * The executor side of the job: normalised prompt rows in ({@link SparkRows#PROMPTS}), result rows out
 * ({@link SparkRows#OUTPUT}), streamed as samples finish. The task's device comes from Spark's GPU
 * assignment ({@code TaskContext.resources()}), the engine from the JVM-wide {@link EngineCache}, so all
 * concurrent tasks of an executor feed one engine. A task-completion listener cancels what a failed or
 * killed task still has in the engine.
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
    Iterator<ResultRow> results = generator.process(new Iterator<>() {
      @Override public boolean hasNext() { return input.hasNext(); }
      @Override public io.tokenmill.udfs.rows.PromptRow next() { return SparkRows.toPrompt(input.next()); }
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
        ResultRow r = results.next();
        emitted++;
        counters.rows().add(1);
        counters.outputTokens().add(r.outputTokens());
        return SparkRows.toRow(r);
      }
    };
  }

  private static String assignedGpu(TaskContext task) {
    Option<ResourceInformation> gpu = task.resources().get("gpu");
    if (gpu.isEmpty() || gpu.get().addresses().length == 0) return null;
    return gpu.get().addresses()[0];
  }
}
