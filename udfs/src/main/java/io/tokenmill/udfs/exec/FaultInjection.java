package io.tokenmill.udfs.exec;

import java.io.Serializable;

/**
 * Test-only faults, set by config keys {@code test.fault.*} (never in a user config): make the first attempt
 * of one partition throw after it has emitted some rows, so tests can prove Spark's retry neither duplicates
 * nor changes rows.
 *
 * @param failPartition partition index whose first attempt fails, -1 = none
 * @param failAfterRows rows that attempt emits before it throws
 */
public record FaultInjection(int failPartition, int failAfterRows) implements Serializable {
  public static final FaultInjection NONE = new FaultInjection(-1, 0);

  public boolean failsHere(int partition, int attempt, long emitted) {
    return failPartition >= 0 && partition == failPartition && attempt == 0 && emitted >= failAfterRows;
  }
}
