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
 * How one step's attention is grouped. Projections run on exactly the step's new tokens (no padding),
 * but attention needs rectangles: (sequences × new tokens) queries against (sequences × context) keys
 * gathered from the paged pool. A continuous-batching step mixes decodes (1 token, contexts from tens to
 * thousands) with prefill chunks (many tokens), so:
 *
 * <ul>
 *   <li>each prefill chunk attends in a group of its own (no query padding);
 *   <li>decodes attend together, or — when padding every context to the longest would waste more than
 *       half the gathered rows — in power-of-two context-length buckets (each pads at most 2×).
 * </ul>
 */
final class AttentionPlan {

  /**
   * One group: which flattened token rows form its (size × t) queries (null = all rows, in order),
   * the cache rows to gather (size × len), and the additive mask (null when nothing is hidden).
   */
  record Group(NDArray queryRows, int size, int t, int len, NDArray readRows, NDArray mask) {}

  final List<Group> groups;
  /** Maps each token row to its row in the concatenated group outputs; null when there is one identity group. */
  final NDArray restoreOrder;

  private AttentionPlan(List<Group> groups, NDArray restoreOrder) {
    this.groups = groups;
    this.restoreOrder = restoreOrder;
  }

  static AttentionPlan build(StepBatch batch, KvCache cache, NDManager step, DataType dtype) {
    int b = batch.size();
    int[] offsets = new int[b];
    int[] context = new int[b];
    int total = 0;
    List<Integer> decodes = new ArrayList<>();
    List<int[]> members = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      offsets[i] = total;
      total += batch.tokens()[i].length;
      context[i] = batch.starts()[i] + batch.tokens()[i].length;
      if (batch.tokens()[i].length == 1) decodes.add(i); else members.add(new int[] {i});
    }
    members.addAll(0, decodeGroups(decodes, context));
    if (members.size() == 1) {
      int[] only = members.get(0);
      boolean identity = only.length == b; // every sequence, in batch order, equal run lengths
      for (int j = 0; identity && j < b; j++) identity = only[j] == j;
      if (identity) return new AttentionPlan(List.of(group(batch, cache, step, dtype, only, offsets, false)), null);
    }
    List<Group> groups = new ArrayList<>();
    long[] restore = new long[total];
    int at = 0;
    for (int[] m : members) {
      Group grp = group(batch, cache, step, dtype, m, offsets, true);
      groups.add(grp);
      for (int j = 0; j < m.length; j++) {
        int s = m[j];
        for (int ti = 0; ti < batch.tokens()[s].length; ti++) restore[offsets[s] + ti] = at + (long) j * grp.t() + ti;
      }
      at += grp.size() * grp.t();
    }
    return new AttentionPlan(groups, step.create(restore));
  }

  /** Decode sequences: one group, or power-of-two context buckets when padding would waste > 50%. */
  private static List<int[]> decodeGroups(List<Integer> decodes, int[] context) {
    if (decodes.isEmpty()) return List.of();
    long used = 0;
    int longest = 0;
    for (int s : decodes) {
      used += context[s];
      longest = Math.max(longest, context[s]);
    }
    if ((long) longest * decodes.size() <= 2 * used) {
      return List.of(decodes.stream().mapToInt(Integer::intValue).toArray());
    }
    Integer[] order = decodes.toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt(i -> context[i]));
    List<int[]> out = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    int bucket = -1;
    for (int s : order) {
      int key = 32 - Integer.numberOfLeadingZeros(Math.max(63, context[s] - 1)); // ceil(log2), >= 64 rows
      if (key != bucket && !current.isEmpty()) {
        out.add(current.stream().mapToInt(Integer::intValue).toArray());
        current.clear();
      }
      bucket = key;
      current.add(s);
    }
    out.add(current.stream().mapToInt(Integer::intValue).toArray());
    return out;
  }

  private static Group group(StepBatch batch, KvCache cache, NDManager step, DataType dtype, int[] seqs,
      int[] offsets, boolean selectRows) {
    int size = seqs.length;
    int t = 0;
    int len = 0;
    for (int s : seqs) {
      t = Math.max(t, batch.tokens()[s].length);
      len = Math.max(len, batch.starts()[s] + batch.tokens()[s].length);
    }
    long[] read = new long[size * len]; // past a sequence's context: row 0, masked
    boolean needMask = t > 1;
    for (int j = 0; j < size; j++) {
      int s = seqs[j];
      int ctx = batch.starts()[s] + batch.tokens()[s].length;
      needMask |= ctx != len;
      for (int p = 0; p < ctx; p++) read[j * len + p] = cache.row(batch.blockTables()[s], p);
    }
    float[] mask = null;
    if (needMask) {
      // Query ti sees keys p <= start + ti (causal within the new run, everything cached before). Laid out
      // (size, 1, L, 1, T) to match the transposed scores (B, nKv, L, g, T).
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
        int n = batch.tokens()[seqs[j]].length;
        // Padding queries of a shorter run repeat its last token; their outputs are dropped by restoreOrder.
        for (int ti = 0; ti < t; ti++) q[j * t + ti] = offsets[seqs[j]] + Math.min(ti, n - 1);
      }
      rows = step.create(q);
    }
    return new Group(rows, size, t, len, step.create(read).reshape(size, len),
        mask == null ? null : step.create(mask, new Shape(size, 1, len, 1, t)).toType(dtype, false));
  }
}
