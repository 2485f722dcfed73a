package io.tokenmill.udfs.exec;

import io.tokenmill.engine.inference.EngineMetrics;
import java.io.Serializable;

/**
 * What a finished task (or the local runner) tells the driver about its executor's engine: who it ran on, how many models that
 * JVM has loaded so far, and the engine's cumulative metrics. The driver keeps the latest per JVM.
 */
public record EngineReport(String executorId, String host, long pid, String device, int modelLoads, long loadMillis,
    long steps, double meanOccupancy, long prefillTokens, long decodeTokens, long cachedPrefixTokens,
    long preemptions, double forwardSeconds) implements Serializable {

  public static EngineReport of(String executorId, String host, long pid, String device, int loads, long loadMillis,
      EngineMetrics m) {
    return new EngineReport(executorId, host, pid, device, loads, loadMillis, m.steps(), m.meanOccupancy(),
        m.prefillTokens(), m.decodeTokens(), m.cachedPrefixTokens(), m.preemptions(), m.forwardSeconds());
  }

  /** One JVM's engine on one device. */
  public String engineKey() {
    return host + "/" + pid + "/" + device;
  }
}
