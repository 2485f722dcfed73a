package io.tokenmill.jobs.report;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Rows and output tokens done over the generation phase, for report.html's throughput chart: a daemon
 * thread reads the runner's live counters (the ones the progress line shows: accumulators updated by
 * executor heartbeats on Spark, plain counters on the Arrow runner) every second. Long runs keep at most
 * {@link #MAX_POINTS} points: past that every other point is dropped and the interval doubles.
 */
public final class ThroughputTimeline implements AutoCloseable {

  /** Seconds since the generation phase started, and the counters then. */
  public record Point(double seconds, long rows, long tokens) {}

  static final int MAX_POINTS = 1200;

  private final LongSupplier rows;
  private final LongSupplier tokens;
  private final long t0 = System.nanoTime();
  private final List<Point> points = new ArrayList<>();
  private final Thread thread;
  private volatile boolean closed;
  private long intervalMs;

  private ThroughputTimeline(LongSupplier rows, LongSupplier tokens, long intervalMs) {
    this.rows = rows;
    this.tokens = tokens;
    this.intervalMs = intervalMs;
    record();
    this.thread = new Thread(this::loop, "tokenmill-throughput");
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts sampling now (the start of the generation phase). */
  public static ThroughputTimeline start(LongSupplier rows, LongSupplier tokens) {
    return new ThroughputTimeline(rows, tokens, 1000);
  }

  private void loop() {
    while (!closed) {
      try {
        Thread.sleep(intervalMs);
      } catch (InterruptedException e) {
        return;
      }
      if (!closed) record();
    }
  }

  private synchronized void record() {
    points.add(new Point((System.nanoTime() - t0) / 1e9, rows.getAsLong(), tokens.getAsLong()));
    if (points.size() > MAX_POINTS) {
      List<Point> kept = new ArrayList<>();
      for (int i = 0; i < points.size(); i++) if (i % 2 == 0 || i == points.size() - 1) kept.add(points.get(i));
      points.clear();
      points.addAll(kept);
      intervalMs *= 2;
    }
  }

  /** The points so far, in time order. */
  public synchronized List<Point> points() {
    return List.copyOf(points);
  }

  /** Stops sampling and records the final counters (call when the last wave is committed). */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    thread.interrupt();
    record();
  }
}
