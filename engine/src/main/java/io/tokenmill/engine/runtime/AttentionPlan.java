package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * How one step's attention is grouped. Attention gathers each sequence's cached keys/values from the
 * paged pool, padded to the longest context in its group, so a 20-token sequence batched with a
 * 2,000-token one would copy and attend over 2,000 rows. When padding would waste more than half the
 * gathered rows (continuous batching mixes lengths all the time), sequences are grouped by context
 * length in power-of-two buckets: each group pads at most 2×, at the price of a few extra ops.
 */
final class AttentionPlan {

  /** One group: its sequences' query rows (null = every row, in order), keys to gather, mask. */
  record Group(NDArray queryRows, int size, int len, NDArray readRows, NDArray mask) {}

  final List<Group> groups;
  /** Gathers group-ordered attention rows back into batch order; null for a single in-order group. */
  final NDArray restoreOrder;

  private AttentionPlan(List<Group> groups, NDArray restoreOrder) {
    this.groups = groups;
    this.restoreOrder = restoreOrder;
  }

  static AttentionPlan build(StepBatch batch, KvCache cache, NDManager step, DataType dtype) {
    int b = batch.size();
    int t = batch.maxNewTokens();
    int[] context = new int[b];
    long padded = 0;
    long used = 0;
    int longest = batch.maxContext();
    for (int i = 0; i < b; i++) {
      context[i] = batch.starts()[i] + batch.tokens()[i].length;
      used += context[i];
      padded += longest;
    }
    if (b == 1 || padded <= 2 * used) {
      int[] all = IntStream.range(0, b).toArray();
      return new AttentionPlan(List.of(group(batch, cache, step, dtype, all, t, false)), null);
    }
    Integer[] order = IntStream.range(0, b).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt(i -> context[i]));
    List<int[]> members = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    int bucket = -1;
    for (int i : order) {
      int key = 32 - Integer.numberOfLeadingZeros(Math.max(63, context[i] - 1)); // ceil(log2), ≥ 64 rows
      if (key != bucket && !current.isEmpty()) {
        members.add(current.stream().mapToInt(Integer::intValue).toArray());
        current.clear();
      }
      bucket = key;
      current.add(i);
    }
    members.add(current.stream().mapToInt(Integer::intValue).toArray());
    if (members.size() == 1) { // all in one length bucket: padding is bounded already, keep batch order
      return new AttentionPlan(List.of(group(batch, cache, step, dtype, IntStream.range(0, b).toArray(), t, false)), null);
    }
    List<Group> groups = new ArrayList<>();
    long[] restore = new long[b * t];
    int at = 0;
    for (int[] m : members) {
      groups.add(group(batch, cache, step, dtype, m, t, true));
      for (int seq : m) {
        for (int ti = 0; ti < t; ti++) restore[seq * t + ti] = at++;
      }
    }
    return new AttentionPlan(groups, step.create(restore));
  }

  private static Group group(StepBatch batch, KvCache cache, NDManager step, DataType dtype, int[] seqs, int t,
      boolean selectRows) {
    int size = seqs.length;
    int len = 0;
    for (int s : seqs) len = Math.max(len, batch.starts()[s] + batch.tokens()[s].length);
    long[] read = new long[size * len]; // past a sequence's context: row 0, masked
    float[] mask = null;
    boolean needMask = t > 1;
    for (int j = 0; j < size; j++) {
      int s = seqs[j];
      int ctx = batch.starts()[s] + batch.tokens()[s].length;
      needMask |= ctx != len;
      for (int p = 0; p < ctx; p++) read[j * len + p] = cache.row(batch.blockTables()[s], p);
    }
    if (needMask) {
      // Query ti of a sequence sees keys p <= start + ti (causal within the new run, everything cached
      // before). Laid out (size, 1, L, 1, T) to match the transposed scores (B, nKv, L, g, T).
      mask = new float[size * len * t];
      for (int j = 0; j < size; j++) {
        int start = batch.starts()[seqs[j]];
        for (int p = 0; p < len; p++) {
          for (int ti = 0; ti < t; ti++) {
            if (p > start + ti) mask[(j * len + p) * t + ti] = Float.NEGATIVE_INFINITY;
          }
        }
      }
    }
    NDArray rows = null;
    if (selectRows) {
      long[] q = new long[size * t];
      for (int j = 0; j < size; j++) {
        for (int ti = 0; ti < t; ti++) q[j * t + ti] = (long) seqs[j] * t + ti;
      }
      rows = step.create(q);
    }
    return new Group(rows, size, len, step.create(read).reshape(size, len),
        mask == null ? null : step.create(mask, new Shape(size, 1, len, 1, t)).toType(dtype, false));
  }
}
