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
   * the cache block rows to gather keys and values from, (size, nKv, len / blockSize) each ({@link KvCache#blockIndex}),
   * and the additive mask, (size, 1, 1, t, len) — (size, 1, 1, len) for decodes — null when nothing is
   * hidden.
   */
  record Group(NDArray queryRows, int size, int t, int len, NDArray keyRows, NDArray valueRows, NDArray mask) {}

  final List<Group> groups;
  /** Maps each token row to its row in the concatenated group outputs; null when there is one identity group. */
  final NDArray restoreOrder;

  private AttentionPlan(List<Group> groups, NDArray restoreOrder) {
    this.groups = groups;
    this.restoreOrder = restoreOrder;
  }

  /** Below this many wasted key rows, one padded group is cheaper than the extra ops of several. */
  static final long MIN_WASTED_ROWS_TO_SPLIT = 8192;

  /**
   * @param maxGroupBytes most bytes one group's gathered keys, values, scores and probabilities may take
   *     ({@link #capped}; a long prefill run is cut into query pieces to fit, {@link #pieces}), {@link
   *     Long#MAX_VALUE} for no limit
   * @param queriesPerKvHead the model's query heads per KV head (g), for the scores' size
   */
  static AttentionPlan build(StepBatch batch, KvCache cache, NDManager step, DataType dtype, long maxGroupBytes,
      int queriesPerKvHead) {
    Pieces p = pieces(batch, cache, dtype.getNumOfBytes(), maxGroupBytes, queriesPerKvHead);
    int n = p.size();
    int[] contexts = p.contexts();
    long used = 0;
    int maxRun = 0;
    int maxContext = 0;
    for (int i = 0; i < n; i++) {
      used += (long) p.run[i] * contexts[i];
      maxRun = Math.max(maxRun, p.run[i]);
      maxContext = Math.max(maxContext, contexts[i]);
    }
    long padded = (long) n * maxRun * maxContext;
    List<int[]> members;
    if (padded <= 2 * used || padded - used < MIN_WASTED_ROWS_TO_SPLIT) {
      members = List.<int[]>of(IntStream.range(0, n).toArray());
    } else {
      members = buckets(n, p.run, contexts);
    }
    if (maxGroupBytes != Long.MAX_VALUE) {
      members = capped(members, p.run, contexts, cache, dtype.getNumOfBytes(), maxGroupBytes, queriesPerKvHead);
    }
    if (members.size() == 1) {
      boolean equalRuns = Arrays.stream(p.run).allMatch(x -> x == p.run[0]);
      if (equalRuns) { // (pieces, T) rows in batch order already: no query gather, no reordering
        return new AttentionPlan(List.of(group(batch, p, cache, step, dtype, members.get(0), false)), null);
      }
    }
    List<Group> groups = new ArrayList<>();
    long[] restore = new long[p.totalRows()];
    int at = 0;
    for (int[] m : members) {
      Group grp = group(batch, p, cache, step, dtype, m, true);
      groups.add(grp);
      for (int j = 0; j < m.length; j++) {
        int s = m[j];
        for (int ti = 0; ti < p.run[s]; ti++) restore[p.row[s] + ti] = at + (long) j * grp.t() + ti;
      }
      at += grp.size() * grp.t();
    }
    return new AttentionPlan(groups, step.create(restore));
  }

  /**
   * The step's query runs, each attending as one unit: piece i is {@code run[i]} queries of sequence
   * {@code seq[i]} from absolute position {@code start[i]}, flattened rows from {@code row[i]}; it sees
   * keys [0, start + run).
   */
  record Pieces(int[] seq, int[] row, int[] start, int[] run) {
    int size() {
      return seq.length;
    }

    int context(int i) {
      return start[i] + run[i];
    }

    int[] contexts() {
      int[] c = new int[seq.length];
      for (int i = 0; i < c.length; i++) c[i] = context(i);
      return c;
    }

    int totalRows() {
      return seq.length == 0 ? 0 : row[seq.length - 1] + run[seq.length - 1];
    }
  }

  /** Fewest queries a piece is cut to: below this the ops per piece outweigh the bytes saved. */
  static final int MIN_QUERY_PIECE = 16;

  /**
   * One piece per sequence, except that a prefill run whose attention temporaries alone would exceed
   * {@code maxBytes} is cut into consecutive query pieces (each at least {@link #MIN_QUERY_PIECE}): its
   * scores grow as run × context (a 1,024-token chunk at a 4k context is 16 MB per query head), and the
   * early pieces also read fewer keys (causal). Softmax stays exact: each piece sees all its keys.
   */
  static Pieces pieces(StepBatch batch, KvCache cache, int elementBytes, long maxBytes, int queriesPerKvHead) {
    int b = batch.size();
    int bs = cache.blockSize();
    List<int[]> out = new ArrayList<>(); // {seq, row, start, run}
    int row = 0;
    for (int i = 0; i < b; i++) {
      int run = batch.tokens()[i].length;
      int start = batch.starts()[i];
      long len = paddedLength(start + run, bs);
      int piece = run;
      if (maxBytes != Long.MAX_VALUE && run > MIN_QUERY_PIECE
          && perSequence(cache, len, run, elementBytes, queriesPerKvHead) > maxBytes) {
        long perKeyRow = (long) cache.kvHeads() * elementBytes;
        long fit = (maxBytes / (perKeyRow * len) - 2L * cache.headDim()) / (2L * queriesPerKvHead);
        piece = (int) Math.max(MIN_QUERY_PIECE, Math.min(run, fit));
      }
      for (int a = 0; a < run; a += piece) {
        int r = Math.min(piece, run - a);
        out.add(new int[] {i, row + a, start + a, r});
      }
      row += run;
    }
    int n = out.size();
    int[] seq = new int[n], rows = new int[n], starts = new int[n], runs = new int[n];
    for (int k = 0; k < n; k++) {
      int[] e = out.get(k);
      seq[k] = e[0];
      rows[k] = e[1];
      starts[k] = e[2];
      runs[k] = e[3];
    }
    return new Pieces(seq, rows, starts, runs);
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

  /**
   * Splits groups whose attention temporaries would exceed {@code maxBytes}: members sorted by context
   * (longest first), then cut greedily, so each piece also pads to a tighter length. On CPU this keeps
   * every gathered array below glibc's largest mmap threshold (32 MiB): larger ones are fresh mappings
   * each layer of each step, and their page faults cost more than the copy (measured: 80% of a 115-
   * sequence decode step at 600-token contexts, docs/PERFORMANCE.md); smaller ones reuse heap memory.
   */
  static List<int[]> capped(List<int[]> groups, int[] run, int[] context, KvCache cache, int elementBytes,
      long maxBytes, int queriesPerKvHead) {
    List<int[]> out = new ArrayList<>();
    int bs = cache.blockSize();
    for (int[] m : groups) {
      if (bytes(m, run, context, cache, elementBytes, queriesPerKvHead) <= maxBytes) {
        out.add(m); // as it was: a whole batch keeps its order (no query gather)
        continue;
      }
      Integer[] order = Arrays.stream(m).boxed().toArray(Integer[]::new);
      Arrays.sort(order, Comparator.comparingInt((Integer s) -> context[s]).reversed());
      List<Integer> piece = new ArrayList<>();
      long pieceLen = 0;
      int pieceT = 0;
      for (int s : order) {
        long len = pieceLen == 0 ? paddedLength(context[s], bs) : pieceLen; // longest is first
        int t = Math.max(pieceT, run[s]);
        long perSequence = perSequence(cache, len, t, elementBytes, queriesPerKvHead);
        if (!piece.isEmpty() && perSequence * (piece.size() + 1) > maxBytes) {
          out.add(piece.stream().mapToInt(Integer::intValue).toArray());
          piece.clear();
          len = paddedLength(context[s], bs);
          t = run[s];
        }
        piece.add(s);
        pieceLen = len;
        pieceT = t;
      }
      out.add(piece.stream().mapToInt(Integer::intValue).toArray());
    }
    return out;
  }

  private static long bytes(int[] m, int[] run, int[] context, KvCache cache, int elementBytes, int queriesPerKvHead) {
    int bs = cache.blockSize();
    long len = 0;
    int t = 0;
    for (int s : m) {
      len = Math.max(len, paddedLength(context[s], bs));
      t = Math.max(t, run[s]);
    }
    return m.length * perSequence(cache, len, t, elementBytes, queriesPerKvHead);
  }

  /** One sequence's share of a group padded to {@code len} keys and {@code t} queries: K, V, scores, probabilities. */
  private static long perSequence(KvCache cache, long len, int t, int elementBytes, int queriesPerKvHead) {
    return (long) cache.kvHeads() * len * (2L * cache.headDim() + 2L * queriesPerKvHead * t) * elementBytes;
  }

  /** Keys a context of {@code context} tokens gathers: whole blocks. */
  private static long paddedLength(int context, int bs) {
    return ((long) context + bs - 1) / bs * bs;
  }

  private static int ceilLog2(int x) {
    return 32 - Integer.numberOfLeadingZeros(x - 1);
  }

  private static Group group(StepBatch batch, Pieces p, KvCache cache, NDManager step, DataType dtype, int[] members,
      boolean selectRows) {
    int size = members.length;
    int t = 0;
    int context = 0;
    for (int s : members) {
      t = Math.max(t, p.run[s]);
      context = Math.max(context, p.context(s));
    }
    int bs = cache.blockSize();
    int nb = (context + bs - 1) / bs;
    int len = nb * bs;
    int heads = cache.kvHeads();
    // Past a sequence's own blocks the rows are padding (masked): its own first block again, never another
    // sequence's, so a neighbour's non-finite K/V cannot reach it through a masked score (0 · NaN).
    long[] read = new long[size * heads * nb]; // (size, nKv, nb): key block rows
    boolean needMask = t > 1;
    for (int j = 0; j < size; j++) {
      int s = members[j];
      int[] table = batch.blockTables()[p.seq[s]];
      int ctx = p.context(s);
      needMask |= ctx != len;
      int blocks = (ctx + bs - 1) / bs;
      int own = cache.blockOf(table, 0);
      for (int k = 0; k < nb; k++) {
        int block = k < blocks ? cache.blockOf(table, k * bs) : own;
        for (int h = 0; h < heads; h++) read[(j * heads + h) * nb + k] = cache.keyBlockRow(block, h);
      }
    }
    float[] mask = null;
    if (needMask) {
      // Query ti sees keys p <= start + ti (causal within the new run, everything cached before). Laid out
      // (size, 1, 1, T, L) to match the scores (B, nKv, g, T, L).
      mask = new float[size * t * len];
      for (int j = 0; j < size; j++) {
        int start = p.start[members[j]];
        for (int ti = 0; ti < t; ti++) {
          int row = (j * t + ti) * len;
          for (int q = start + ti + 1; q < len; q++) mask[row + q] = Float.NEGATIVE_INFINITY;
        }
      }
    }
    NDArray rows = null;
    if (selectRows) {
      long[] q = new long[size * t];
      for (int j = 0; j < size; j++) {
        int s = members[j];
        // Padding queries of a shorter run repeat its last token; their outputs are dropped by restoreOrder.
        for (int ti = 0; ti < t; ti++) q[j * t + ti] = p.row[s] + Math.min(ti, p.run[s] - 1);
      }
      rows = step.create(q);
    }
    NDArray[] kv = cache.blockIndex(step.create(read, new Shape(size, heads, nb)));
    return new Group(rows, size, t, len, kv[0], kv[1],
        mask == null ? null : step.create(mask, t == 1 ? new Shape(size, 1, 1, len) : new Shape(size, 1, 1, t, len)).toType(dtype, false));
  }
}
