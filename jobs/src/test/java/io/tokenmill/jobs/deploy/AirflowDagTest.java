package io.tokenmill.jobs.deploy;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.jobs.GenerateJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.tokenmill.jobs.testing.JobFixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Airflow DAG example passes the job the same CLI as everyone else: this test reads its
 * APPLICATION_ARGS, java_class and application from the Python file and runs those arguments here (only the
 * output directory, the Spark master and the row count are overridden, by appended --set flags).
 */
class AirflowDagTest {

  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static final Path DAG = REPO.resolve("deploy/airflow/tokenmill_dag.py");

  @TempDir Path tmp;

  @AfterAll
  static void stopSpark() {
    JobFixtures.stopActiveSpark();
  }

  /** Python string literals of the APPLICATION_ARGS list, with {TOKENMILL_HOME} replaced by {@code home}. */
  static List<String> applicationArgs(String source, String home) {
    Matcher list = Pattern.compile("APPLICATION_ARGS\\s*=\\s*\\[(.*?)\\]", Pattern.DOTALL).matcher(source);
    assertTrue(list.find(), "APPLICATION_ARGS = [...] in " + DAG);
    List<String> args = new ArrayList<>();
    Matcher s = Pattern.compile("(f?)\"([^\"]*)\"").matcher(list.group(1));
    while (s.find()) {
      String v = s.group(2);
      if (!s.group(1).isEmpty()) v = v.replace("{TOKENMILL_HOME}", home);
      assertFalse(v.contains("{"), "only {TOKENMILL_HOME} is interpolated: " + v);
      args.add(v);
    }
    return args;
  }

  @Test
  void dagArgumentsRunTheJob() throws Exception {
    String source = Files.readString(DAG);
    assertTrue(source.contains("java_class=\"io.tokenmill.jobs.GenerateJob\""), "DAG submits the job's main class");
    assertTrue(source.contains("/jobs/target/spark/tokenmill-jobs.jar\""), "DAG submits the jar the build makes");
    List<String> args = new ArrayList<>(applicationArgs(source, REPO.toString()));
    assertEquals("-c", args.get(0));
    assertTrue(Files.isRegularFile(Path.of(args.get(1))), "the DAG's config exists: " + args.get(1));
    Path out = tmp.resolve("dag-out");
    args.addAll(List.of("--set", "output.path=" + out, "--set", "spark.master=local[2]", "--set", "input.limit=6",
        "--set", "job.progress=false", "--set", "spark.conf.spark.ui.enabled=false"));
    assertEquals(0, GenerateJob.run(args.toArray(String[]::new)));
    JsonObject summary = JsonParser.parseString(Files.readString(out.resolve("run_summary.json"))).getAsJsonObject();
    assertEquals(6, summary.getAsJsonObject("rows").get("ok").getAsInt(), summary.toString());
    assertEquals("resume", summary.getAsJsonObject("config").get("output.mode").getAsString());
  }
}
