package io.tokenmill.jobs;

/**
 * Which Java runs what. Spark 4.0.1 supports Java 17 and 21 (what CI runs, and what bin/tokenmill accepts
 * silently). Java 23 and later cannot run Spark 4.0.1 at all: its Hadoop 3.4.1 asks for the current user
 * through {@code Subject.getSubject}, which those versions no longer support ("getSubject is not
 * supported"); the Arrow runner, which needs no Hadoop, runs on them. Called by {@link GenerateJob#main} and
 * before the Spark runner starts a session, so a wrong Java gets one line, not a stack trace.
 */
public final class JavaSupport {

  private JavaSupport() {}

  /** The running Java's feature version (17, 21, 25, ...). */
  public static int feature() {
    return Runtime.version().feature();
  }

  /** One line for a Java outside 17 and 21, or null on those two. */
  public static String note(int feature) {
    if (feature == 17 || feature == 21) return null;
    return "Java " + feature + " is not a supported version (17 and 21 are)"
        + (feature >= 23 ? "; the Spark runner refuses it, the Arrow runner (job.runner=local) works" : "");
  }

  /** Why the Spark runner cannot run on this Java, or null when it can. */
  public static String sparkRefusal(int feature) {
    if (feature < 23) return null;
    return "Java " + feature + " cannot run the Spark runner: Spark 4.0.1's Hadoop calls Subject.getSubject, which"
        + " Java 23 and later no longer support; run it with Java 17 or 21 (JAVA_HOME), or set job.runner=local"
        + " (the Arrow runner)";
  }
}
