package io.tokenmill.jobs.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code GenerateJob} (or another main) in a child JVM, as {@code bin/tokenmill run} would start it: this JVM's java, classpath
 * and flags (surefire's argLine: the --add-opens Spark needs, offline DJL), every setting as {@code --set}.
 * Its output is collected so a test can wait for a line (the {@code test.fault.pause_at} marker) and show the
 * log when something goes wrong.
 */
public final class ChildJob implements AutoCloseable {
  private final Process process;
  private final StringBuffer log = new StringBuffer();
  private final Thread reader;
  private volatile String awaited;
  private volatile CountDownLatch seen = new CountDownLatch(1);

  private ChildJob(Process process) {
    this.process = process;
    this.reader = new Thread(this::read, "child-job-output");
    reader.setDaemon(true);
    reader.start();
  }

  public static ChildJob start(Map<String, Object> settings) throws IOException {
    List<String> args = new ArrayList<>();
    for (var e : settings.entrySet()) {
      args.add("--set");
      args.add(e.getKey() + "=" + e.getValue());
    }
    return startMain("io.tokenmill.jobs.GenerateJob", flag -> true, null, args);
  }

  /** Any main class of the test classpath, started the same way, in {@code workingDir} (null: this JVM's). */
  public static ChildJob startMain(String mainClass, Path workingDir, List<String> args) throws IOException {
    return startMain(mainClass, flag -> true, workingDir, args);
  }

  /**
   * {@code mainClass} in a child JVM with this JVM's classpath and those of its flags that {@code keepFlag}
   * accepts (e.g. all but {@code -Dlog4j2.configurationFile}, to run on Spark's own logging defaults).
   */
  public static ChildJob startMain(String mainClass, Predicate<String> keepFlag, List<String> args)
      throws IOException {
    return startMain(mainClass, keepFlag, null, args);
  }

  private static ChildJob startMain(String mainClass, Predicate<String> keepFlag, Path workingDir, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if ((a.startsWith("--add-opens") || a.startsWith("-D") || a.startsWith("-Xss") || a.startsWith("-XX:+IgnoreUnrecognized"))
          && keepFlag.test(a)) {
        cmd.add(a);
      }
    }
    // a short-lived JVM on 2 shared cores: C1 only and one GC thread start Spark noticeably faster
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (workingDir != null) pb.directory(workingDir.toFile());
    return new ChildJob(pb.start());
  }

  /** Everything the child printed so far (stdout and stderr interleaved), untruncated. */
  public String fullLog() {
    return log.toString();
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        log.append(line).append('\n');
        String a = awaited;
        if (a != null && line.contains(a)) seen.countDown();
      }
    } catch (IOException e) {
      log.append("(reading the child's output failed: ").append(e).append(")\n");
    }
  }

  /** Waits until the child prints a line containing {@code text}; false when it exits or the time is up first. */
  public boolean awaitLine(String text, long timeoutSeconds) throws InterruptedException {
    seen = new CountDownLatch(1);
    awaited = text;
    if (log.toString().contains(text)) return true;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < end) {
      if (seen.await(200, TimeUnit.MILLISECONDS)) return true;
      if (!process.isAlive()) {
        reader.join(2000);
        return log.toString().contains(text);
      }
    }
    return false;
  }

  /** Waits for the child to exit by itself and returns its exit status (-1 when it did not within the time). */
  public int exitStatus(long timeoutSeconds) throws InterruptedException {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) return -1;
    reader.join(2000);
    return process.exitValue();
  }

  /** SIGKILL (kill -9), then waits for the process to be gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public long pid() {
    return process.pid();
  }

  public String log() {
    String s = log.toString();
    return s.length() > 8000 ? "…" + s.substring(s.length() - 8000) : s;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) kill();
  }
}
