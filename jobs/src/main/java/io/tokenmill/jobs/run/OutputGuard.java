package io.tokenmill.jobs.run;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The rules that keep a run to directories Tokenmill owns, the same for both stores:
 *
 * <ul>
 *   <li>{@code OUTPUT/_tokenmill} (the marker: format version, the run that created the directory) is written
 *       when a run creates the directory or adopts an empty one. Every mode refuses a regular file, and a
 *       non-empty directory with neither the marker nor the layout an older Tokenmill left (only {@code rows/}
 *       with {@code wave=*} directories, {@code _staging/}, {@code run_summary.json}, and what later runs add
 *       beside them: {@code runs/}, {@code run_identity.json}, {@code report.html}); such an older output
 *       is adopted (the marker is added).
 *   <li>Output and input may not contain one another ({@link PathOverlap}).
 *   <li>{@link RunLock}: one run at a time.
 *   <li>{@code output.mode}: fail_if_exists refuses a directory holding anything but the marker and lock;
 *       overwrite deletes everything else in it; resume deletes {@code _staging/}.
 * </ul>
 *
 * Refusals are {@link OutputRefusedException}s (exit status 2) naming the path.
 */
public final class OutputGuard {
  public static final String MARKER = "_tokenmill";
  public static final int FORMAT = 1;
  private static final Set<String> LEGACY = Set.of(OutputLayout.ROWS, OutputLayout.STAGING, OutputLayout.SUMMARY,
      "." + OutputLayout.SUMMARY + ".tmp", RunLock.NAME, OutputLayout.RUNS, OutputLayout.REPORT, RunIdentity.FILE);

  private final OutputFiles files;
  private RunLock lock;
  private boolean created;

  public OutputGuard(OutputFiles files) {
    this.files = files;
  }

  /**
   * Before a run touches the output: refuses what is not Tokenmill's or overlaps {@code inputPath} (null for a
   * table), writes the marker if missing, takes the lock.
   */
  public void claim(String inputPath, String runId, Duration lockTimeout) throws IOException {
    if (inputPath != null) {
      PathOverlap.refuse(inputPath, files.canonical(inputPath), files.root(), files.canonical(null));
    }
    switch (files.kind("")) {
      case FILE -> throw new OutputRefusedException("output.path " + files.root()
          + " is a regular file, not a directory; Tokenmill writes (and overwrite deletes) only directories it created");
      case MISSING -> {
        files.mkdirs("");
        created = true;
      }
      case DIRECTORY -> {
        List<String> names = visible(files.list(""));
        if (!names.contains(MARKER) && !names.isEmpty() && !isOlderTokenmillOutput(names)) {
          throw new OutputRefusedException("output.path " + files.root() + " is not a Tokenmill output (no "
              + MARKER + " marker) and not empty (" + sample(names) + "); Tokenmill writes, resumes and overwrites "
              + "only directories it created. Choose a new or empty directory");
        }
      }
    }
    files.createNew(MARKER, marker(runId));
    lock = RunLock.acquire(files, runId, lockTimeout);
  }

  /** Applies output.mode on the claimed directory, then makes sure rows/ exists. */
  public void prepare(JobSettings.OutputMode mode) throws IOException {
    List<String> content = new ArrayList<>(visible(files.list("")));
    content.removeAll(List.of(MARKER, RunLock.NAME));
    switch (mode) {
      case FAIL_IF_EXISTS -> {
        if (!content.isEmpty()) {
          throw new OutputRefusedException("output.path " + files.root() + " already holds output ("
              + sample(content) + ") and output.mode is fail_if_exists");
        }
      }
      case OVERWRITE -> {
        for (String name : files.list("")) {
          if (!name.equals(MARKER) && !name.equals(RunLock.NAME) && !isChecksumOf(name, MARKER)
              && !isChecksumOf(name, RunLock.NAME)) {
            files.delete(name);
          }
        }
      }
      case RESUME -> files.delete(OutputLayout.STAGING);
    }
    files.mkdirs(OutputLayout.ROWS);
  }

  /** Throws when another run took the lock over; called before each commit. */
  public void checkHeld(String what) throws IOException {
    if (lock != null) lock.checkHeld(what);
  }

  /**
   * Releases the lock. A directory this run created and left with nothing but the marker (the run failed
   * before writing, e.g. on a bad input) is removed again.
   */
  public void release() throws IOException {
    try {
      if (lock != null) lock.release();
      lock = null;
      if (created && visible(files.list("")).equals(List.of(MARKER))) files.delete("");
    } finally {
      files.close();
    }
  }

  /** An output written before the marker existed: only layout names, and rows/ or the summary among them. */
  private boolean isOlderTokenmillOutput(List<String> names) throws IOException {
    if (!LEGACY.containsAll(names)) return false;
    if (!names.contains(OutputLayout.ROWS)) return names.contains(OutputLayout.SUMMARY) || names.equals(List.of(RunLock.NAME));
    if (files.kind(OutputLayout.ROWS) != OutputFiles.Kind.DIRECTORY) return false;
    for (String wave : visible(files.list(OutputLayout.ROWS))) {
      if (!wave.startsWith("wave=")) return false;
    }
    return true;
  }

  /** Names without Hadoop's checksum side files ({@code .NAME.crc}), which the local FileSystem writes. */
  private static List<String> visible(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) if (!(n.startsWith(".") && n.endsWith(".crc"))) out.add(n);
    out.sort(null);
    return out;
  }

  private static boolean isChecksumOf(String name, String of) {
    return name.equals("." + of + ".crc");
  }

  private static String sample(List<String> names) {
    List<String> first = names.subList(0, Math.min(5, names.size()));
    return "holds " + String.join(", ", first) + (names.size() > first.size() ? ", …" : "");
  }

  static String marker(String runId) {
    JsonObject o = new JsonObject();
    o.addProperty("format", FORMAT);
    o.addProperty("created_by_run", runId);
    o.addProperty("created", Instant.now().toString());
    o.addProperty("what", "Tokenmill output directory (rows/, run_summary.json); output.mode overwrite may delete it");
    return o + "\n";
  }
}
