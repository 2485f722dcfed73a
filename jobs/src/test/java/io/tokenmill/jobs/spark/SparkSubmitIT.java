package io.tokenmill.jobs.spark;

import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.jobs.testing.JobFixtures;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar through {@code org.apache.spark.deploy.SparkSubmit}, as on a cluster: a separate driver JVM
 * whose classpath is a plain Spark install (spark-home module: Spark's jars only, Tokenmill only in the
 * application jar), on {@code local[2]} and on {@code local-cluster[2,1,1536]} with two executor JVMs, each of
 * which must load the model exactly once across partitions and waves.
 */
class SparkSubmitIT {

  static final Path SPARK_HOME = Path.of("../spark-home/target/spark-home").toAbsolutePath().normalize();
  static final Path JOB_JAR = Path.of("target/spark/tokenmill-jobs.jar").toAbsolutePath();

  @TempDir static Path tmp;
  static Path model;
  static Path input;
  static Path config;

  @BeforeAll
  static void setUp() throws Exception {
    assertTrue(Files.isDirectory(SPARK_HOME.resolve("jars")), "build the spark-home module first: " + SPARK_HOME);
    assertTrue(Files.isRegularFile(JOB_JAR), "the shaded jar is built at package: " + JOB_JAR);
    model = JobFixtures.model(tmp.resolve("model"));
    input = jsonl(tmp.resolve("in/prompts.jsonl"), prompts(16));
    config = tmp.resolve("job.yaml");
    Files.writeString(config, String.join("\n",
        "input: { path: " + input + " }",
        "model: { path: " + model + " }",
        "generation: { max_new_tokens: 10 }",
        "engine: { max_batch: 8, kv_memory_bytes: 16m, device: cpu }",
        "job: { waves: 2, partitions: 4, progress: false }",
        "spark: { conf: { spark.ui.enabled: false } }", ""));
  }

  static JsonObject submit(String master, Path out, List<String> extraConf) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String opt : System.getProperty("tokenmill.spark.opens", "").split(" ")) if (!opt.isBlank()) cmd.add(opt);
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-Dlog4j2.configurationFile=" + Path.of("src/test/resources/log4j2-spark-submit.properties").toAbsolutePath());
    cmd.add("-cp");
    cmd.add(SPARK_HOME.resolve("jars") + File.separator + "*");
    cmd.add("org.apache.spark.deploy.SparkSubmit");
    cmd.addAll(List.of("--master", master, "--class", "io.tokenmill.jobs.GenerateJob"));
    cmd.addAll(List.of("--conf", "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1"));
    for (String c : extraConf) cmd.addAll(List.of("--conf", c));
    cmd.add(JOB_JAR.toString());
    cmd.addAll(List.of("-c", config.toString(), "--set", "output.path=" + out));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("submit-" + out.getFileName() + ".log").toFile());
    pb.environment().put("SPARK_HOME", SPARK_HOME.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    Process p = pb.start();
    boolean done = p.waitFor(8, TimeUnit.MINUTES);
    String log = Files.readString(tmp.resolve("submit-" + out.getFileName() + ".log"));
    if (!done) p.destroyForcibly();
    assertTrue(done, "spark-submit timed out:\n" + tail(log));
    assertEquals(0, p.exitValue(), "spark-submit failed:\n" + tail(log));
    assertTrue(log.contains("Tokenmill run"), "summary table printed:\n" + tail(log));
    return JsonParser.parseString(Files.readString(out.resolve("run_summary.json"))).getAsJsonObject();
  }

  static String tail(String log) {
    return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
  }

  @Test
  void sparkSubmitLocalMode() throws Exception {
    JsonObject s = submit("local[2]", tmp.resolve("out-local"), List.of());
    assertEquals(16, s.getAsJsonObject("rows").get("ok").getAsInt(), s.toString());
    assertEquals("local[2]", s.get("master").getAsString());
    JsonObject engine = s.getAsJsonArray("engines").get(0).getAsJsonObject();
    assertEquals("driver", engine.get("executor").getAsString());
    assertEquals(1, engine.get("model_loads").getAsInt());
  }

  @Test
  void localClusterExecutorsEachLoadTheModelOnce() throws Exception {
    JsonObject s = submit("local-cluster[2,1,1536]", tmp.resolve("out-cluster"),
        List.of("spark.executor.memory=1g", "spark.executor.cores=1"));
    assertEquals(16, s.getAsJsonObject("rows").get("ok").getAsInt(), s.toString());
    Set<String> executors = new HashSet<>();
    for (JsonElement e : s.getAsJsonArray("engines")) {
      JsonObject o = e.getAsJsonObject();
      assertNotEquals("driver", o.get("executor").getAsString(), "work ran in executor JVMs");
      assertEquals(1, o.get("model_loads").getAsInt(), "one load per executor JVM: " + o);
      assertTrue(executors.add(o.get("executor").getAsString() + "/" + o.get("pid").getAsLong()), o.toString());
    }
    assertEquals(2, executors.size(), "both executors generated (8 tasks over 2 waves): " + s.getAsJsonArray("engines"));
  }
}
