package io.tokenmill.jobs.run;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code OUTPUT/_lock}: one run at a time per output directory. Taken by an atomic create-if-absent (java.nio
 * {@code createFile}, Hadoop {@code create(path, overwrite=false)}) holding run id, host, pid, start time and a
 * heartbeat time that a daemon thread refreshes. Another run is refused while the holder is alive; a lock left
 * by a killed run is taken over when its heartbeat is older than {@code output.lock_timeout_s}, or at once when
 * it names a pid on this host that is no longer running. On object stores without an atomic create (S3) two
 * runs starting in the same instant can both believe they hold it.
 */
public final class RunLock {
  public static final String NAME = "_lock";
  private static final String HOST = hostName();

  private final OutputFiles files;
  private final String runId;
  private final String started;
  private final ScheduledExecutorService heartbeat;
  private volatile String lostTo;

  private RunLock(OutputFiles files, String runId, String started, Duration every) {
    this.files = files;
    this.runId = runId;
    this.started = started;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tokenmill-lock-heartbeat");
      t.setDaemon(true);
      return t;
    });
    long ms = Math.max(20, every.toMillis());
    heartbeat.scheduleWithFixedDelay(this::beat, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Takes the lock for {@code runId} or throws {@link OutputRefusedException} naming the holder. */
  public static RunLock acquire(OutputFiles files, String runId, Duration timeout) throws IOException {
    String started = Instant.now().toString();
    for (int attempt = 0; attempt < 3; attempt++) {
      if (files.createNew(NAME, json(runId, started))) {
        return new RunLock(files, runId, started, heartbeatEvery(timeout));
      }
      String text = files.read(NAME);
      if (text == null) continue; // released in between
      Holder h = Holder.parse(text, files.modifiedMillis(NAME));
      // A lock read between another run's create and its write is empty: give that run a moment to say who it is.
      for (int wait = 0; wait < 40 && !h.identified(); wait++) {
        try {
          Thread.sleep(25);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        String again = files.read(NAME);
        if (again == null) break;
        text = again;
        h = Holder.parse(text, files.modifiedMillis(NAME));
      }
      if (!h.identified() && files.read(NAME) == null) continue; // released in between
      String stale = h.staleBecause(timeout);
      if (stale == null) {
        throw new OutputRefusedException(files.root() + " is in use by another run (" + h.describe() + "); "
            + "one run at a time writes an output directory. A lock left by a killed run is taken over once its "
            + "heartbeat is older than output.lock_timeout_s (" + timeout.toSeconds() + " s), or at once from the "
            + "same host when its process is gone; to take it over now, delete " + files.root() + "/" + NAME);
      }
      // Move the stale lock aside under a name only this run uses; another run taking over at the same moment
      // finds it gone. If what we moved is not what we judged stale, a live run took the lock in between: put it back.
      String aside = NAME + ".stale-" + runId;
      if (files.rename(NAME, aside)) {
        String moved = files.read(aside);
        if (text.equals(moved)) {
          files.delete(aside);
          System.err.println("[tokenmill] taking over " + files.root() + "/" + NAME + " from a run that is gone ("
              + h.describe() + "; " + stale + ")");
        } else {
          files.rename(aside, NAME);
        }
      }
    }
    throw new OutputRefusedException("could not take " + files.root() + "/" + NAME + ": other runs keep taking it");
  }

  static Duration heartbeatEvery(Duration timeout) {
    return Duration.ofMillis(Math.min(10_000, timeout.toMillis() / 4));
  }

  /** Throws when another run has taken the lock over (this run's heartbeats stopped for longer than the timeout). */
  public void checkHeld(String what) throws IOException {
    if (lostTo != null) {
      throw new IOException(files.root() + "/" + NAME + " was taken over by another run (" + lostTo
          + ") while this run was stalled; stopping before " + what + " so the two runs do not both write");
    }
  }

  /** Stops the heartbeat and deletes the lock if it is still this run's. */
  public void release() throws IOException {
    heartbeat.shutdownNow();
    try {
      heartbeat.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String text = files.read(NAME);
    if (text != null && runId.equals(Holder.parse(text, -1).runId)) files.delete(NAME);
  }

  private void beat() {
    try {
      String text = files.read(NAME);
      Holder h = text == null ? null : Holder.parse(text, files.modifiedMillis(NAME));
      if (h == null || !runId.equals(h.runId)) {
        lostTo = h == null ? "the lock file was deleted" : h.describe();
        System.err.println("[tokenmill] WARNING: lost " + files.root() + "/" + NAME + " to " + lostTo);
        heartbeat.shutdown();
        return;
      }
      files.write(NAME, json(runId, started));
    } catch (IOException | RuntimeException e) {
      // a missed heartbeat (e.g. a full disk) only brings a takeover closer; the next one tries again
      System.err.println("[tokenmill] lock heartbeat failed: " + e);
    }
  }

  static String json(String runId, String started) {
    JsonObject o = new JsonObject();
    o.addProperty("run_id", runId);
    o.addProperty("host", HOST);
    o.addProperty("pid", ProcessHandle.current().pid());
    o.addProperty("started", started);
    o.addProperty("heartbeat", Instant.now().toString());
    return o + "\n";
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      String h = System.getenv("HOSTNAME");
      return h == null ? "unknown-host" : h;
    }
  }

  /** What a lock file says; a file caught between create and write (empty) counts as fresh by its mtime. */
  record Holder(String runId, String host, long pid, String started, Instant heartbeat) {

    static Holder parse(String text, long modifiedMillis) {
      Instant mtime = modifiedMillis < 0 ? Instant.now() : Instant.ofEpochMilli(modifiedMillis);
      try {
        JsonObject o = JsonParser.parseString(text).getAsJsonObject();
        return new Holder(o.get("run_id").getAsString(), o.get("host").getAsString(), o.get("pid").getAsLong(),
            o.get("started").getAsString(), Instant.parse(o.get("heartbeat").getAsString()));
      } catch (RuntimeException e) {
        return new Holder("?", "?", -1, "?", mtime);
      }
    }

    /** Whether the file named its run (false while it is being written, or when it is damaged). */
    boolean identified() {
      return pid > 0 || !"?".equals(runId);
    }

    /** Why the holder is gone, or null when it may be alive. */
    String staleBecause(Duration timeout) {
      Duration age = Duration.between(heartbeat, Instant.now());
      if (age.compareTo(timeout) > 0) {
        return "no heartbeat for " + age.toSeconds() + " s, more than output.lock_timeout_s " + timeout.toSeconds();
      }
      if (host.equals(HOST) && pid > 0 && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
        return "pid " + pid + " is no longer running on " + host;
      }
      return null;
    }

    String describe() {
      long age = Duration.between(heartbeat, Instant.now()).toSeconds();
      return "run " + runId + " on host " + host + ", pid " + pid + ", started " + started
          + ", last heartbeat " + age + " s ago";
    }
  }
}
