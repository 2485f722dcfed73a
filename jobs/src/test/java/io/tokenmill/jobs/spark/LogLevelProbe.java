package io.tokenmill.jobs.spark;

import org.apache.spark.sql.SparkSession;
import org.slf4j.LoggerFactory;

/**
 * Run in a child JVM by {@link SparkLoggingTest}: a local Spark session that runs a job at INFO, then at
 * ERROR, with a marker line before each, and logs one warning and one error through SLF4J (the API DJL,
 * Arrow and Tokenmill log through) at the end.
 */
public final class LogLevelProbe {

  private LogLevelProbe() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().master("local[1]").appName("log-level-probe")
        .config("spark.ui.enabled", "false").getOrCreate();
    spark.sparkContext().setLogLevel("INFO");
    System.err.println("PROBE level INFO");
    spark.range(100).count();
    spark.sparkContext().setLogLevel("ERROR");
    System.err.println("PROBE level ERROR");
    spark.range(100).count();
    LoggerFactory.getLogger("io.tokenmill.probe").warn("probe warning through SLF4J");
    LoggerFactory.getLogger("io.tokenmill.probe").error("probe error through SLF4J");
    System.err.println("PROBE done");
    spark.stop();
  }
}
