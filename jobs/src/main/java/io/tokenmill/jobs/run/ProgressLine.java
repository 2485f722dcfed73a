package io.tokenmill.jobs.run;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * The live progress line: rows done / total, output tokens/s, ETA; redrawn in place on a terminal every
 * interval from the first second, or printed as a plain line every 10 intervals when stderr is a log
 * (Airflow, spark-submit to a file). Counters come from the runner (accumulators + heartbeats on Spark).
 */
public final class ProgressLine implements AutoCloseable {
  private final PrintStream out;
  private final long totalRows;
  private final LongSupplier rows;
  private final LongSupplier tokens;
  private final long intervalMs;
  private final boolean terminal;
  private final long t0 = System.nanoTime();
  private final Thread thread;
  private volatile String stage = "";
  private volatile boolean closed;
  private final boolean enabled;

  public ProgressLine(PrintStream out, long totalRows, LongSupplier rows, LongSupplier tokens, double intervalSeconds,
      boolean enabled) {
    this.out = out;
    this.totalRows = totalRows;
    this.rows = rows;
    this.tokens = tokens;
    this.intervalMs = Math.max(50, (long) (intervalSeconds * 1000));
    this.terminal = System.console() != null;
    this.enabled = enabled;
    this.thread = new Thread(this::loop, "tokenmill-progress");
    this.thread.setDaemon(true);
    if (enabled && totalRows > 0) thread.start();
  }

  /** Text shown before the counters, e.g. "wave 2/5". */
  public void stage(String s) {
    stage = s;
  }

  private void loop() {
    long n = 0;
    while (!closed) {
      try {
        Thread.sleep(intervalMs);
      } catch (InterruptedException e) {
        return;
      }
      if (closed) return;
      n++;
      if (terminal) {
        out.print("\r" + render() + "   ");
        out.flush();
      } else if (n % 10 == 0) {
        out.println(render());
      }
    }
  }

  /** One rendering of the line (also used for the final line). */
  public String render() {
    double secs = (System.nanoTime() - t0) / 1e9;
    long done = Math.min(rows.getAsLong(), totalRows);
    long tok = tokens.getAsLong();
    double tps = secs > 0 ? tok / secs : 0;
    String eta = "--:--";
    if (done > 0 && done < totalRows) eta = clock(secs / done * (totalRows - done));
    else if (done >= totalRows) eta = "0:00";
    return String.format("[tokenmill] %s rows %,d/%,d (%.0f%%)  %,.1f out tok/s  elapsed %s  ETA %s", stage, done,
        totalRows, 100.0 * done / Math.max(1, totalRows), tps, clock(secs), eta);
  }

  private static String clock(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    thread.interrupt();
    if (thread.isAlive() || terminal) {
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (enabled && totalRows > 0) out.println((terminal ? "\r" : "") + render());
  }
}
