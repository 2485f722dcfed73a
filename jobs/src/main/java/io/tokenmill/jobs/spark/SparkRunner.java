package io.tokenmill.jobs.spark;

import io.tokenmill.jobs.run.JobPipeline;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import java.io.IOException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark runner: {@link JobPipeline}'s steps over {@link SparkBackend} (waves of
 * {@code mapPartitions(InferencePartition)} committed one by one). Works with whatever master spark-submit
 * or the environment set; with none, {@code spark.master} from the config (default {@code local[*]}).
 */
public final class SparkRunner {

  private SparkRunner() {}

  public static RunSummary run(JobSettings s) throws IOException {
    return JobPipeline.run(s, SparkBackend::open);
  }

  static SparkSession session(JobSettings s) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder b = SparkSession.builder();
    // spark-submit --name (spark.app.name) wins over job.name, like every other setting Spark was given
    if (!conf.contains("spark.app.name")) b.appName(s.config().string("job.name"));
    if (!conf.contains("spark.master")) b.master(s.sparkMaster());
    // running tasks report accumulator values with heartbeats: the progress line moves every second or two
    if (!conf.contains("spark.executor.heartbeatInterval")) b.config("spark.executor.heartbeatInterval", "2s");
    if (!conf.contains("spark.ui.showConsoleProgress")) b.config("spark.ui.showConsoleProgress", "false");
    SparkLogging.quietIfUnconfigured(conf);
    // Like --master over spark.master: what Spark was already given (spark-submit --conf, spark-defaults.conf,
    // -D) wins over the YAML's spark.conf.*, and a differing YAML value is named, not silently dropped.
    for (var e : s.config().sparkConf().entrySet()) {
      String given = conf.contains(e.getKey()) ? conf.get(e.getKey()) : null;
      if (given == null) {
        b.config(e.getKey(), e.getValue());
      } else if (!given.equals(String.valueOf(e.getValue()))) {
        JobPipeline.say(s, "spark.conf." + e.getKey() + " = " + e.getValue() + " in the config is overridden by Spark's own "
            + e.getKey() + " = " + given + " (spark-submit --conf or spark-defaults.conf win)");
      }
    }
    return b.getOrCreate();
  }

}
