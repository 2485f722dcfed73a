package io.tokenmill.jobs.spark;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.spark.SparkConf;

/**
 * A Tokenmill run's Spark logging is quiet by default, as spark-shell's is: when log4j2 (Spark's logging, and
 * through SLF4J every library's) runs on nobody's configuration — the INFO profile Spark loads when it finds
 * none ({@code org/apache/spark/log4j2-defaults.properties}, "Using Spark's default log4j profile"), as
 * spark-submit on a Spark install without conf/log4j2.properties does — the root level becomes WARN before
 * the session starts. Any log4j2.properties someone wrote (conf/log4j2.properties, a cluster's) is left
 * alone, and {@code spark.log.level} (spark-submit --conf or the YAML's spark.conf) is applied by Spark after
 * this, so it wins.
 */
final class SparkLogging {

  private SparkLogging() {}

  static void quietIfUnconfigured(SparkConf conf) {
    // Spark sets up log4j when one of its classes first logs (under spark-submit, before the job's main); do
    // it now so the check sees what Spark will log with
    conf.initializeLogIfNecessary(false);
    if (onBuiltInDefaults()) Configurator.setRootLevel(Level.WARN);
  }

  static boolean onBuiltInDefaults() {
    if (!(LogManager.getContext(false) instanceof LoggerContext ctx)) return false; // log4j routed elsewhere
    Configuration c = ctx.getConfiguration();
    if (c instanceof DefaultConfiguration) return true;
    ConfigurationSource source = c.getConfigurationSource();
    String location = source == null ? null : source.getLocation();
    return location != null && location.contains("org/apache/spark/log4j2-");
  }
}
