package io.tokenmill.jobs.cli;

import static io.tokenmill.jobs.cli.CliTest.capture;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.cli.CliTest.Captured;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.tokenmill.jobs.testing.JobFixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, {@code bin/tokenmill run -c conf/local.yaml}, whole: the Spark job runs the
 * committed tiny reasoner over held-out arithmetic problems and seating puzzles and prints an accuracy line
 * over the references, one per task, and example rows with the model's own step-by-step reasoning and answer.
 */
class DemoJobTest {

  @TempDir Path tmp;

  @AfterAll
  static void stopSpark() {
    JobFixtures.stopActiveSpark();
  }

  @Test
  void demoPrintsAccuracyAndCheckableReasoning() {
    Captured c = capture(() -> TokenmillCli.run("run", "-c", "../conf/local.yaml", "--set", "job.base_dir=..",
        "--set", "output.path=" + tmp.resolve("demo"), "--set", "spark.master=local[2]", "--set", "job.progress=false"));
    assertEquals(0, c.code(), c.err());
    Matcher accuracy = Pattern.compile("accuracy +([0-9.]+)% \\((\\d+) / 80 rows with a reference\\)").matcher(c.out());
    assertTrue(accuracy.find(), c.out());
    assertTrue(Double.parseDouble(accuracy.group(1)) >= 90, c.out());
    assertTrue(c.out().contains("rows             80 in output: 80 ok, 0 failed"), c.out());
    // both kinds of problem, each with its own accuracy line: 16 per arithmetic task, 16 puzzles (4 per size)
    for (String task : new String[] {"add", "sub", "mul", "count", "seating"}) {
      Matcher line = Pattern.compile("  task " + task + " +[0-9.]+% \\((\\d+) / 16\\)").matcher(c.out());
      assertTrue(line.find(), task + ": " + c.out());
      assertTrue(Integer.parseInt(line.group(1)) >= (task.equals("seating") ? 12 : 15), task + ": " + c.out());
    }
    Matcher example = Pattern.compile("example (\\S+) \\(sample 0\\): (correct|WRONG); finish stop; (\\d+) reasoning")
        .matcher(c.out());
    assertTrue(example.find(), c.out());
    assertTrue(Integer.parseInt(example.group(3)) > 10, c.out());
    // the digit-by-digit work of an arithmetic problem, then the answer and the reference it is checked against
    assertTrue(Pattern.compile("  <think>\\n    [^\\n]*[0-9][^\\n]*\\n    [^\\n]*[0-9]").matcher(c.out()).find(), c.out());
    assertTrue(Pattern.compile("  answer: +[0-9]+\\n  reference: +[0-9]+").matcher(c.out()).find(), c.out());
  }
}
