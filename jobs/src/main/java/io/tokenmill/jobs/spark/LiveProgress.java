package io.tokenmill.jobs.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Live counts for the progress line while tasks still run: a finished task's accumulator values reach the
 * driver only at its end, but executors send running tasks' values with every heartbeat; this listener
 * keeps those, per task, and adds them to the merged value.
 */
final class LiveProgress extends SparkListener {
  private final LongAccumulator accumulator;
  private final Map<Long, Long> running = new ConcurrentHashMap<>();

  LiveProgress(LongAccumulator accumulator) {
    this.accumulator = accumulator;
  }

  long value() {
    long v = accumulator.value();
    for (long r : running.values()) v += r;
    return v;
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
        : CollectionConverters.asJava(update.accumUpdates())) {
      long taskId = (Long) t._1();
      for (AccumulableInfo info : CollectionConverters.asJava(t._4())) {
        if (info.id() == accumulator.id() && info.update().isDefined()) {
          Object u = info.update().get();
          if (u instanceof Number n) running.put(taskId, n.longValue());
        }
      }
    }
  }

  /**
   * Drops the running tasks' values once their job has ended: the driver merged each finished task's value
   * into the accumulator before the job returned, but the listener bus may not have delivered the task-end
   * events yet, and until then {@link #value} would count those tasks twice (the report's final throughput
   * point and the progress line read it right after a wave).
   */
  void settle() {
    running.clear();
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    running.remove(end.taskInfo().taskId());
  }
}
