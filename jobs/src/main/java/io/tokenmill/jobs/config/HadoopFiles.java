package io.tokenmill.jobs.config;

import java.io.IOException;
import java.io.InputStream;

/**
 * Opens a config file named by a Hadoop URI (s3a://, hdfs://, ...). Kept out of {@link JobConfig} so the JVM
 * loads Hadoop's classes only when such a URI is read: the Spark-free runner must start without Hadoop on
 * the classpath (the GPU bundle carries none).
 */
final class HadoopFiles {

  private HadoopFiles() {}

  static InputStream open(String location) throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
    return p.getFileSystem(new org.apache.hadoop.conf.Configuration()).open(p);
  }
}
