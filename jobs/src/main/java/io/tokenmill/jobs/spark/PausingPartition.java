package io.tokenmill.jobs.spark;

import io.tokenmill.jobs.run.TestPause;
import java.util.Iterator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * TESTS ONLY: a wave's partition function that pauses ({@link TestPause}) after its first row, so a test can
 * kill the driver while the wave is in flight (on a local master the task runs in the driver JVM).
 */
final class PausingPartition implements MapPartitionsFunction<Row, Row> {
  private final MapPartitionsFunction<Row, Row> fn;
  private final TestPause pause;
  private final String point;

  private PausingPartition(MapPartitionsFunction<Row, Row> fn, TestPause pause, String point) {
    this.fn = fn;
    this.pause = pause;
    this.point = point;
  }

  /** {@code fn} itself unless the pause is set for {@code point}. */
  static MapPartitionsFunction<Row, Row> wrap(MapPartitionsFunction<Row, Row> fn, TestPause pause, String point) {
    return pause.pausesAt(point) ? new PausingPartition(fn, pause, point) : fn;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) throws Exception {
    Iterator<Row> out = fn.call(input);
    return new Iterator<>() {
      boolean first = true;

      @Override
      public boolean hasNext() {
        return out.hasNext();
      }

      @Override
      public Row next() {
        Row r = out.next();
        if (first) {
          first = false;
          pause.at(point);
        }
        return r;
      }
    };
  }
}
