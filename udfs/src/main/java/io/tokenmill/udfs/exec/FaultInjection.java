package io.tokenmill.udfs.exec;

import java.io.Serializable;

/**
 * Test-only faults, set by config keys {@code test.fault.*} (never in a user config): make the first attempt
 * of one partition throw after it has emitted some rows, so tests can prove Spark's retry neither duplicates
 * nor changes rows.
 *
 * @param failPartition partition index whose first attempt fails, -1 = none
 * @param failAfterRows rows that attempt emits before it throws
 * @param staging {@code lose:W} or {@code duplicate:W}: the first attempt of wave W (0-based) has one staged
 *     file deleted or copied before its check, as a lost or repeated task output would; empty = none
 */
public record FaultInjection(int failPartition, int failAfterRows, String staging) implements Serializable {
  public static final FaultInjection NONE = new FaultInjection(-1, 0, "");

  public FaultInjection {
    staging = staging == null ? "" : staging.trim();
    if (!staging.isEmpty() && !staging.matches("(lose|duplicate):\\d+")) {
      throw new IllegalArgumentException("test.fault.staging must be lose:W or duplicate:W, got '" + staging + "'");
    }
  }

  /** The staging damage for this wave attempt ("lose", "duplicate") or null. */
  public String stagingDamage(int wave, int attempt) {
    if (staging.isEmpty() || attempt != 0) return null;
    String[] p = staging.split(":");
    return Integer.parseInt(p[1]) == wave ? p[0] : null;
  }

  public boolean failsHere(int partition, int attempt, long emitted) {
    return failPartition >= 0 && partition == failPartition && attempt == 0 && emitted >= failAfterRows;
  }
}
