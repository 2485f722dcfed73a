package io.tokenmill.jobs.run;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static io.tokenmill.jobs.testing.JobFixtures.content;
import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.GenerateJob;
import io.tokenmill.jobs.local.LocalRunner;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.ResultRow;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk fills up while a wave is written, on both runners: the run fails with an error that names the
 * output and says the disk is full and that resume redoes the wave; rows/ holds only whole waves; after space
 * returns, resume completes with the rows of an uninterrupted run. The disk is a real full file system, a 4 MiB
 * tmpfs mounted by the test (as root; CI runs as root), filled with a filler file until a few pages are left.
 * Where mount is refused (an unprivileged container) the failure is injected instead where the store hands the
 * runner a wave's staging directory ({@code test.fault.disk_full_at_wave}), and the same assertions run.
 */
class DiskFullTest {

  @TempDir static Path tmp;
  static Path model;
  static Path input;
  static Path disk;
  static boolean mounted;
  static Map<String, List<Object>> uninterrupted;

  @BeforeAll
  static void setUp() throws Exception {
    JobFixtures.stopActiveSpark();
    model = JobFixtures.model(tmp.resolve("model"));
    input = jsonl(tmp.resolve("in/prompts.jsonl"), prompts(20));
    Path whole = tmp.resolve("whole");
    LocalRunner.run(JobFixtures.settings(model, input, whole, more("local", Map.of())));
    uninterrupted = content(rows(whole));
    disk = Files.createDirectories(tmp.resolve("disk"));
    mounted = !Boolean.getBoolean("tokenmill.test.no_mount") // to exercise the fallback where mount works
        && sh("mount", "-t", "tmpfs", "-o", "size=4m", "tokenmill-test-full", disk.toString()) == 0;
    System.err.println("[DiskFullTest] " + (mounted ? "a real full tmpfs at " + disk
        : "mount refused: injecting the failure with test.fault.disk_full_at_wave"));
  }

  @AfterAll
  static void tearDown() throws Exception {
    JobFixtures.stopActiveSpark();
    if (mounted) sh("umount", "-l", disk.toString());
  }

  static int sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }

  static Map<String, Object> more(String runner, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(extra);
    m.put("job.runner", runner);
    m.put("job.waves", 3);
    m.put("job.partitions", 2);
    m.put("job.examples", 0);
    m.put("spark.master", "local[2]");
    return m;
  }

  static RunSummary run(String runner, Path out, Map<String, Object> extra) throws Exception {
    JobSettings s = JobFixtures.settings(model, input, out, more(runner, extra));
    return GenerateJob.execute(s); // job.runner names the runner
  }

  /** Fills the file system under {@code dir} until writes fail, then frees {@code leave} bytes. */
  static Path fill(Path dir, long leave) throws IOException {
    Path filler = dir.resolve("filler.bin");
    byte[] block = new byte[4096];
    try (OutputStream o = Files.newOutputStream(filler)) {
      while (true) o.write(block);
    } catch (IOException full) {
      // the disk is full
    }
    try (FileChannel c = FileChannel.open(filler, StandardOpenOption.WRITE)) {
      c.truncate(Math.max(0, c.size() - leave));
    }
    return filler;
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void aFullDiskMidRunFailsClearlyAndResumeCompletesAfterSpaceReturns(String runner) throws Exception {
    Path out = (mounted ? disk : tmp).resolve(runner + "-out");
    run(runner, out, Map.of("test.stop_after_waves", 1));
    int firstWave = rows(out).size();
    var firstKeys = content(rows(out)).keySet();
    assertTrue(firstWave > 0 && firstWave < 20, "one wave of three committed: " + firstWave);

    // room for the lock file and little else: the next wave's Parquet does not fit
    Path filler = mounted ? fill(disk, 8192) : null;
    Map<String, Object> fault = mounted ? Map.of() : Map.of("test.fault.disk_full_at_wave", 2);
    Exception e;
    try {
      e = assertThrows(Exception.class, () -> run(runner, out, fault));
    } finally {
      if (filler != null) Files.delete(filler); // space returns (also when an assertion failed)
    }
    String m = e.getMessage();
    assertInstanceOf(IOException.class, e, "a run failure (exit 1), not a config error: " + e);
    assertTrue(m.contains(out.toString()), "names the output: " + m);
    assertTrue(m.contains("disk is full") || m.contains("refused the write"), "says why: " + m);
    assertTrue(m.contains("output.mode: resume"), "says what to do: " + m);
    assertTrue(m.contains("nothing of this wave was committed"), m);
    assertEquals(firstWave, rows(out).size(), "rows/ still holds only whole waves");
    assertEquals(firstKeys, content(rows(out)).keySet(), "nothing of the failed wave under rows/");
    assertFalse(Files.exists(out.resolve("_lock")), "the lock is released on failure");

    run(runner, out, Map.of());
    assertEquals(uninterrupted, content(rows(out)), "resume after space returns completes, each key once");
  }
}
