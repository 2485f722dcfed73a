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
 * gathered, as the token rows of whole blocks, from the paged pool (a group's context is padded up to
 * whole blocks; the mask hides the padding). A continuous-batching step mixes decodes (1 token, contexts from tens to
 * thousands) with prefill chunks (many tokens), so:
 *
 * when padding every sequence to the longest run and context would waste more than half the work (and
 * more than {@link #MIN_WASTED_ROWS_TO_SPLIT} key rows), sequences attend in groups bucketed by
 * power-of-two run length and context (decodes apart from prefill chunks); otherwise in one padded group,
 * because for small batches the extra ops of several groups cost more than the padding.
 */
final class AttentionPlan {

  /**
   * One group: which flattened token rows form its (size × t) queries (null = all rows, in order),
   * the cache slots to gather keys and values from, (size, nKv, len) each ({@link KvCache#slotIndex}),
   * and the additive mask, (size, 1, 1, t, len) — (size, 1, 1, len) for decodes — null when nothing is
   * hidden.
   */
  record Group(NDArray queryRows, int size, int t, int len, NDArray keySlots, NDArray valueSlots, NDArray mask) {}

  final List<Group> groups;
  /** Maps each token row to its row in the concatenated group outputs; null when there is one identity group. */
  final NDArray restoreOrder;

  private AttentionPlan(List<Group> groups, NDArray restoreOrder) {
    this.groups = groups;
    this.restoreOrder = restoreOrder;
  }

  /** Below this many wasted key rows, one padded group is cheaper than the extra ops of several. */
  static final long MIN_WASTED_ROWS_TO_SPLIT = 8192;

  static AttentionPlan build(StepBatch batch, KvCache cache, NDManager step, DataType dtype) {
    int b = batch.size();
    int[] offsets = new int[b];
    int[] context = new int[b];
    int[] run = new int[b];
    int total = 0;
    long used = 0;
    for (int i = 0; i < b; i++) {
      offsets[i] = total;
      run[i] = batch.tokens()[i].length;
      total += run[i];
      context[i] = batch.starts()[i] + run[i];
      used += (long) run[i] * context[i];
    }
    long padded = (long) b * batch.maxNewTokens() * batch.maxContext();
    List<int[]> members;
    if (padded <= 2 * used || padded - used < MIN_WASTED_ROWS_TO_SPLIT) {
      members = List.<int[]>of(IntStream.range(0, b).toArray());
    } else {
      members = buckets(b, run, context);
    }
    if (members.size() == 1) {
      boolean equalRuns = Arrays.stream(run).allMatch(x -> x == run[0]);
      if (equalRuns) { // (B, T) rows in batch order already: no query gather, no reordering
        return new AttentionPlan(List.of(group(batch, cache, step, dtype, members.get(0), offsets, false)), null);
      }
    }
    List<Group> groups = new ArrayList<>();
    long[] restore = new long[total];
    int at = 0;
    for (int[] m : members) {
      Group grp = group(batch, cache, step, dtype, m, offsets, true);
      groups.add(grp);
      for (int j = 0; j < m.length; j++) {
        int s = m[j];
        for (int ti = 0; ti < run[s]; ti++) restore[offsets[s] + ti] = at + (long) j * grp.t() + ti;
      }
      at += grp.size() * grp.t();
    }
    return new AttentionPlan(groups, step.create(restore));
  }

  /**
   * Groups by (new-token run, context) in power-of-two buckets, decodes (run 1) apart from prefill
   * chunks: inside a group queries pad at most 2× and keys at most 2×.
   */
  private static List<int[]> buckets(int b, int[] run, int[] context) {
    java.util.Map<Long, List<Integer>> byKey = new java.util.TreeMap<>();
    for (int i = 0; i < b; i++) {
      long runKey = run[i] == 1 ? 0 : 1 + ceilLog2(run[i]);
      long key = (runKey << 32) | ceilLog2(Math.max(64, context[i]));
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
    }
    List<int[]> out = new ArrayList<>();
    byKey.values().forEach(v -> out.add(v.stream().mapToInt(Integer::intValue).toArray()));
    return out;
  }

  private static int ceilLog2(int x) {
    return 32 - Integer.numberOfLeadingZeros(x - 1);
  }

  private static Group group(StepBatch batch, KvCache cache, NDManager step, DataType dtype, int[] seqs,
      int[] offsets, boolean selectRows) {
    int size = seqs.length;
    int t = 0;
    int context = 0;
    for (int s : seqs) {
      t = Math.max(t, batch.tokens()[s].length);
      context = Math.max(context, batch.starts()[s] + batch.tokens()[s].length);
    }
    int bs = cache.blockSize();
    int nb = (context + bs - 1) / bs;
    int len = nb * bs;
    int heads = cache.kvHeads();
    // Past a sequence's own blocks the rows are padding (masked): its own first block again, never another
    // sequence's, so a neighbour's non-finite K/V cannot reach it through a masked score (0 · NaN).
    long[] read = new long[size * heads * nb]; // (size, nKv, nb): first key slots
    boolean needMask = t > 1;
    for (int j = 0; j < size; j++) {
      int s = seqs[j];
      int[] table = batch.blockTables()[s];
      int ctx = batch.starts()[s] + batch.tokens()[s].length;
      needMask |= ctx != len;
      int blocks = (ctx + bs - 1) / bs;
      int own = cache.blockOf(table, 0);
      for (int k = 0; k < nb; k++) {
        int block = k < blocks ? cache.blockOf(table, k * bs) : own;
        for (int h = 0; h < heads; h++) read[(j * heads + h) * nb + k] = cache.firstKeySlot(block, h);
      }
    }
    float[] mask = null;
    if (needMask) {
      // Query ti sees keys p <= start + ti (causal within the new run, everything cached before). Laid out
      // (size, 1, 1, T, L) to match the scores (B, nKv, g, T, L).
      mask = new float[size * t * len];
      for (int j = 0; j < size; j++) {
        int start = batch.starts()[seqs[j]];
        for (int ti = 0; ti < t; ti++) {
          int row = (j * t + ti) * len;
          for (int p = start + ti + 1; p < len; p++) mask[row + p] = Float.NEGATIVE_INFINITY;
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
    NDArray[] kv = cache.slotIndex(step.create(read, new Shape(size, heads, nb, 1)));
    return new Group(rows, size, t, len, kv[0], kv[1],
        mask == null ? null : step.create(mask, t == 1 ? new Shape(size, 1, 1, len) : new Shape(size, 1, 1, t, len)).toType(dtype, false));
  }
}
