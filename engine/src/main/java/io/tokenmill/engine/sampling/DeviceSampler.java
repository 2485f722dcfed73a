package io.tokenmill.engine.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.runtime.Views;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples a step's tokens where the logits are (B, V on the device), with batched array ops, so that
 * only O(B) values come back to Java: the chosen ids, the row maxima (the finiteness check) and, for
 * rows that ask, logprobs. {@link TokenSampler} defines the result and is this class's test oracle:
 * same penalties (float arithmetic, bit for bit), same filters (top-k, then top-p over the renormalised
 * top-k set, then min-p), same draw (survivors laid out in ascending id order, the uniform picks the
 * interval holding u · total). Called by the engine once per step for all rows that need logits.
 *
 * <p>Ops per step, S = rows sampled: penalties (rows that have them) gather the history's logits,
 * penalise them and put them back (3 small ops + the put over S × V); one max (NaN/inf check); greedy
 * rows one argmax. Sampled rows: exp of the scaled logits (S × V) and one sum, copied to the host with
 * the maxima (one copy). A top-p row whose total says the token after its best one is already outside
 * the nucleus (1 ≥ p · total: a trained model's usual step at temperature 0.6) takes its best token —
 * the draw could choose nothing else — so a step whose sampled rows are all like that costs ~12 ops. The
 * others take one top-K probe (K = 256 or the largest top-k), then only (S, K) ops: gather, cumsum,
 * masks (top-k's and min-p's only when a probed row uses them), sort by id, cumsum, count. A vocabulary
 * of at most {@link #WHOLE_VOCABULARY_PROBE} tokens is probed whole, its probed rows gathered first and
 * probed {@link #SMALL_PROBE} wide before the whole row (libtorch's CPU top-k and sort cost in
 * proportion to their width there). Rows with neither top-k nor top-p draw over the whole vocabulary
 * with one masked cumsum (S × V) and a count. Top-p rows whose nucleus is wider than the probe (flat
 * distributions) either sort their weights on the device ({@code wideNucleusOnDevice}: for
 * accelerators, where a sort of 152k is cheap) or copy just that row to the host and let the oracle
 * sample it (for a CPU device, where the logits already live in host memory and libtorch's sort is
 * slower than the oracle's bucketed nucleus).
 *
 * <p>Precision: weights, sums and the full-vocabulary cumsum are float32 on the device, the probe's
 * (S, K) sums float64; the oracle works in float64 throughout. The two agree except when the draw (or
 * the top-p mass) falls within ~1e-6 (relative) of a boundary, or on exactly tied logits at a top-k /
 * top-p cut (the oracle breaks ties by lower id, torch's topk does not promise an order). The tests
 * check exact equality away from boundaries and bound the disagreements near them.
 *
 * <p>Not thread-safe (the host fallback keeps a {@link TokenSampler}); one per engine thread.
 */
public final class DeviceSampler {

  /** Best tokens examined for top-p before falling back to the whole row, as in the oracle. */
  static final int PROBE = TokenSampler.NUCLEUS_PROBE;

  /**
   * Vocabularies up to this size are probed whole: a top-k of all of them costs less than the ops
   * that look for a nucleus wider than the probe (and a copy to the host to learn of it).
   */
  static final int WHOLE_VOCABULARY_PROBE = 1024;

  /**
   * The first probe's width: a trained model's nucleus at temperature 0.6 / top-p 0.95 is a few tokens,
   * and libtorch's top-k and sort on the CPU cost in proportion to their width (measured here on 32 rows
   * of 262 tokens: top-k of all 262 ~0.5 ms, of 64 ~0.12 ms). Rows whose nucleus is wider take the full
   * probe after it.
   */
  static final int SMALL_PROBE = 16;

  /**
   * One row to sample: its index in the logits, its params, its history (for penalties), its draw, and the
   * token ids it may not produce at this step ({@code banned}: EOS and stop token ids while a row is short
   * of {@link SamplingParams#minTokens()}; their logits count as -Infinity after the penalties).
   */
  public record Row(int index, SamplingParams params, TokenCounts history, double uniform, int[] banned) {
    public Row {
      banned = banned == null ? new int[0] : banned.clone();
    }

    public Row(int index, SamplingParams params, TokenCounts history, double uniform) {
      this(index, params, history, uniform, null);
    }
  }

  /** The outcome of one row: a token (with logprobs when asked), or why the row has none. */
  public record Outcome(SampledToken token, String problem) {}

  private final boolean wideNucleusOnDevice;
  private final TokenSampler oracle = new TokenSampler();
  private long bytesToHost;

  /**
   * @param wideNucleusOnDevice true: a nucleus wider than the probe is found by a device sort; false:
   *     that row is copied to the host and sampled by the oracle (right for a CPU device)
   */
  public DeviceSampler(boolean wideNucleusOnDevice) {
    this.wideNucleusOnDevice = wideNucleusOnDevice;
  }

  /** Bytes copied from the device to Java by the last {@link #sample} call. */
  public long lastBytesToHost() {
    return bytesToHost;
  }

  /**
   * Samples each row. The logits array is not modified; temporaries attach to its manager (the
   * step's), so they are freed with the step.
   *
   * @param logits (B, V) logits of the step
   * @return one outcome per row, in the order of {@code rows}
   */
  public Outcome[] sample(NDArray logits, List<Row> rows) {
    bytesToHost = 0;
    int s = rows.size();
    Outcome[] out = new Outcome[s];
    if (s == 0) return out;
    NDManager m = logits.getManager();
    int vocab = (int) logits.getShape().get(1);
    long[] rowIdx = new long[s];
    boolean allInOrder = s == logits.getShape().get(0);
    for (int i = 0; i < s; i++) {
      rowIdx[i] = rows.get(i).index();
      allInOrder &= rowIdx[i] == i;
    }
    NDArray raw = allInOrder ? logits : Views.rows(logits, m.create(rowIdx)); // (S, V)
    raw = raw.toType(DataType.FLOAT32, false); // a no-op for float32 logits
    NDArray x = ban(penalise(raw, rows, vocab, out), rows, vocab);

    NDArray max = x.max(new int[] {1}, true); // (S, 1); NaN propagates
    boolean anyGreedy = false;
    boolean anySampled = false;
    for (Row r : rows) {
      anyGreedy |= r.params().isGreedy();
      anySampled |= !r.params().isGreedy();
    }
    float[] maxHost;
    double[] totalHost = null;
    NDArray w = null;
    NDArray total = null;
    if (anySampled) {
      // The weights and their sums come back with the maxima in one copy: a row whose nucleus is its
      // best token alone needs nothing else (below).
      float[] invT = new float[s];
      for (int i = 0; i < s; i++) {
        SamplingParams p = rows.get(i).params();
        invT[i] = p.isGreedy() ? 1f : (float) (1.0 / p.temperature());
      }
      w = x.sub(max).mul(m.create(invT, new Shape(s, 1))).exp(); // (S, V) weights, the top one exactly 1
      total = w.sum(new int[] {1}, true).toType(DataType.FLOAT64, false); // (S, 1)
      double[] both = toHost(max.toType(DataType.FLOAT64, false).concat(total, 1)).toDoubleArray();
      maxHost = new float[s];
      totalHost = new double[s];
      for (int i = 0; i < s; i++) {
        maxHost[i] = (float) both[2 * i];
        totalHost[i] = both[2 * i + 1];
      }
    } else {
      maxHost = toHost(max).toFloatArray();
    }
    int[] ids = new int[s];
    boolean[] alone = new boolean[s];
    boolean needArgmax = anyGreedy;
    boolean needProbe = false;
    boolean needDraw = false; // probed rows or whole-row draws
    for (int i = 0; i < s; i++) {
      Row r = rows.get(i);
      if (out[i] != null || r.params().isGreedy()) continue;
      out[i] = problemOf(maxHost[i], vocab);
      if (out[i] != null) continue;
      alone[i] = nucleusIsTheBestToken(r.params(), totalHost[i], vocab);
      needDraw |= !alone[i];
      needProbe |= !alone[i] && !drawsWholeRow(r.params(), vocab);
    }
    for (int i = 0; i < s; i++) {
      if (!alone[i]) continue;
      // A large vocabulary's probe runs over all rows (see probe): there it gives a lone nucleus's token
      // for free, where an argmax would be another pass over S x V.
      if (needProbe && !probesWhole(vocab)) alone[i] = false;
      else needArgmax = true;
    }
    if (needArgmax) {
      long[] argmax = toHost(x.argMax(1)).toLongArray(); // first maximum on ties: the lowest id
      for (int i = 0; i < s; i++) ids[i] = (int) argmax[i];
    }
    for (int i = 0; i < s; i++) {
      if (out[i] == null && rows.get(i).params().isGreedy()) out[i] = greedyProblemOf(maxHost[i], ids[i], vocab);
    }
    boolean[] onHost = new boolean[s];
    if (needDraw) drawSampled(x, w, total, rows, vocab, ids, alone, out, onHost);

    for (int i = 0; i < s; i++) {
      if (out[i] != null) continue;
      Row r = rows.get(i);
      if (onHost[i]) {
        out[i] = hostOracle(logits, r, vocab);
      } else {
        out[i] = new Outcome(SampledToken.of(ids[i]), null);
      }
    }
    addLogprobs(raw, rows, out);
    return out;
  }

  /**
   * Repetition, frequency and presence penalties as {@link LogitPenalties} applies them, in float32:
   * the history's logits are gathered, penalised with the same operations and put back.
   */
  private NDArray penalise(NDArray raw, List<Row> rows, int vocab, Outcome[] out) {
    int entries = 0;
    for (Row r : rows) {
      if (r.params().hasPenalties() && r.history() != null) entries += r.history().distinctCount();
    }
    if (entries == 0) return raw;
    long[] flat = new long[entries];
    float[] rep = new float[entries];
    float[] freqTimesCount = new float[entries];
    float[] presence = new float[entries];
    int e = 0;
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      SamplingParams p = r.params();
      if (!p.hasPenalties() || r.history() == null) continue;
      TokenCounts h = r.history();
      for (int j = 0; j < h.distinctCount(); j++) {
        int id = h.idAt(j);
        if (id >= vocab) {
          out[i] = new Outcome(null, "history token " + id + " is outside the vocabulary of " + vocab + " logits");
          id = 0; // keeps the index valid; the row's result is the problem above
        }
        int count = h.outputCountAt(j);
        flat[e] = (long) i * vocab + id;
        rep[e] = (float) p.repetitionPenalty();
        freqTimesCount[e] = count > 0 ? (float) p.frequencyPenalty() * count : 0f; // Java float product
        presence[e] = count > 0 ? (float) p.presencePenalty() : 0f;
        e++;
      }
    }
    NDManager m = raw.getManager();
    NDArray index = m.create(flat);
    NDArray values = raw.flatten().take(index);
    NDArray repArr = m.create(rep);
    NDArray penalised = NDArrays.where(values.gt(0), values.div(repArr), values.mul(repArr))
        .sub(m.create(freqTimesCount)).sub(m.create(presence));
    return raw.flatten().put(index, penalised).reshape(raw.getShape());
  }

  /** Sets each row's banned ids to -Infinity (a new array; the input is not modified). */
  private static NDArray ban(NDArray x, List<Row> rows, int vocab) {
    int entries = 0;
    for (Row r : rows) entries += r.banned().length;
    if (entries == 0) return x;
    long[] flat = new long[entries];
    int e = 0;
    for (int i = 0; i < rows.size(); i++) {
      for (int id : rows.get(i).banned()) {
        if (id >= 0 && id < vocab) flat[e++] = (long) i * vocab + id;
      }
    }
    NDManager m = x.getManager();
    NDArray index = m.create(java.util.Arrays.copyOf(flat, e));
    NDArray minusInf = m.full(new ai.djl.ndarray.types.Shape(e), Float.NEGATIVE_INFINITY, DataType.FLOAT32);
    return x.flatten().put(index, minusInf).reshape(x.getShape());
  }

  /**
   * Temperature, top-k, top-p and min-p, then the draw, for every sampled row that has no outcome yet
   * and whose nucleus is not its best token alone ({@code alone}; those already hold the argmax).
   */
  private void drawSampled(NDArray x, NDArray w, NDArray total, List<Row> rows, int vocab, int[] ids,
      boolean[] alone, Outcome[] out, boolean[] onHost) {
    NDManager m = x.getManager();
    int s = rows.size();
    double[] minP = new double[s];
    boolean[] fullVocab = new boolean[s];
    List<Integer> probed = new ArrayList<>();
    for (int i = 0; i < s; i++) {
      SamplingParams p = rows.get(i).params();
      minP[i] = p.minP();
      fullVocab[i] = drawsWholeRow(p, vocab);
      if (!p.isGreedy() && out[i] == null && !alone[i] && !fullVocab[i]) probed.add(i);
    }
    List<Integer> wholeRow = new ArrayList<>(); // drawn over the whole row in id order
    List<Integer> wideOnDevice = new ArrayList<>();
    double[] floor = minP.clone(); // the smallest weight a whole-row draw keeps
    if (!probed.isEmpty()) {
      // A small vocabulary is probed whole, a sort of every row: its rows first take the SMALL_PROBE
      // best tokens (a trained model's nucleus at temperature 0.6 is a few tokens), and the whole row
      // only when their nucleus is wider or their top-k larger. (For a large vocabulary the top-k's scan
      // of the row costs the same for 16 or 256 tokens: one probe.)
      boolean whole = probesWhole(vocab);
      int fullK = whole ? vocab : Math.min(vocab, PROBE);
      List<Integer> again = new ArrayList<>();
      if (whole && SMALL_PROBE < fullK) {
        List<Integer> first = new ArrayList<>();
        for (int i : probed) {
          SamplingParams p = rows.get(i).params();
          (limitsTopK(p, vocab) && p.topK() > SMALL_PROBE ? again : first).add(i);
        }
        if (!first.isEmpty()) {
          boolean[] wide = probe(x, w, total, rows, first, SMALL_PROBE, vocab, ids);
          for (int j = 0; j < first.size(); j++) if (wide[j]) again.add(first.get(j));
        }
      } else {
        again = probed;
      }
      if (!again.isEmpty()) {
        boolean[] wide = probe(x, w, total, rows, again, fullK, vocab, ids);
        for (int j = 0; j < again.size(); j++) {
          if (!wide[j]) continue;
          if (wideNucleusOnDevice) wideOnDevice.add(again.get(j));
          else onHost[again.get(j)] = true;
        }
      }
    }
    for (int i = 0; i < s; i++) {
      if (out[i] == null && fullVocab[i]) wholeRow.add(i); // keeps w >= minP, as the oracle zeroes lighter weights
    }
    if (!wideOnDevice.isEmpty()) {
      double[] cut = nucleusFloor(w, total, rows, wideOnDevice, vocab);
      for (int j = 0; j < cut.length; j++) {
        int i = wideOnDevice.get(j);
        floor[i] = Math.max(cut[j], minP[i]);
        wholeRow.add(i);
      }
    }
    if (wholeRow.isEmpty()) return;
    int n = wholeRow.size();
    float[] thr = new float[n];
    double[] uu = new double[n];
    long[] sel = new long[n];
    for (int j = 0; j < n; j++) {
      int i = wholeRow.get(j);
      sel[j] = i;
      thr[j] = (float) floor[i];
      uu[j] = rows.get(i).uniform();
    }
    NDArray wr = Views.rows(w, m.create(sel));
    NDArray keptRow = wr.mul(wr.gte(m.create(thr, new Shape(n, 1))).toType(DataType.FLOAT32, false));
    NDArray rowCum = keptRow.cumSum(1).toType(DataType.FLOAT64, false); // (n, V), in id order
    long[] pos = toHost(countAtOrBelow(rowCum, m.create(uu, new Shape(n, 1)), vocab)).toLongArray();
    for (int j = 0; j < n; j++) ids[wholeRow.get(j)] = (int) pos[j];
  }

  /**
   * The probe over the rows {@code probed} (indices into {@code rows}), gathered first when they are not
   * all rows: the K best tokens (K = {@code probeK}, or a probed row's larger top-k), best first; every
   * filter is a mask over them (top-k's and min-p's only when a probed row uses them), then the draw over
   * the survivors in ascending id order. Writes each row's choice into {@code ids}; returns, per probed
   * row, whether its nucleus is wider than the probe (top-p rows without top-k whose K best tokens hold
   * less than p · total; their choice is not valid).
   */
  private boolean[] probe(NDArray x, NDArray w, NDArray total, List<Row> rows, List<Integer> probed, int probeK,
      int vocab, int[] ids) {
    NDManager m = x.getManager();
    int s = rows.size();
    // Only the probed rows of a small vocabulary: there every op below costs in proportion to the rows.
    // For a large vocabulary the copy of their x and w would cost about as much as the top-k over the
    // rows it skips: all rows go through, the others' results unread.
    boolean gather = probed.size() < s && probesWhole(vocab);
    int n = gather ? probed.size() : s;
    int[] pos = new int[s]; // a row's place in the arrays below, -1 if not probed
    java.util.Arrays.fill(pos, -1);
    for (int j = 0; j < probed.size(); j++) pos[probed.get(j)] = gather ? j : probed.get(j);
    int k = probeK;
    long[] sel = new long[n];
    long[] kEff = new long[n];
    double[] topP = new double[n];
    double[] minP = new double[n];
    double[] u = new double[n];
    java.util.Arrays.fill(kEff, Long.MAX_VALUE);
    java.util.Arrays.fill(topP, Double.POSITIVE_INFINITY);
    boolean anyTopK = false;
    boolean anyMinP = false;
    for (int i : probed) {
      int j = pos[i];
      SamplingParams p = rows.get(i).params();
      sel[j] = i;
      boolean topK = limitsTopK(p, vocab);
      if (topK) k = Math.max(k, p.topK());
      anyTopK |= topK;
      kEff[j] = topK ? p.topK() : Long.MAX_VALUE;
      topP[j] = p.topP() < 1.0 ? p.topP() : Double.POSITIVE_INFINITY; // p * total = inf keeps everything
      minP[j] = p.minP();
      anyMinP |= minP[j] > 0;
      u[j] = rows.get(i).uniform();
    }
    if (gather) {
      NDArray index = m.create(sel);
      x = Views.rows(x, index);
      w = Views.rows(w, index);
      total = Views.rows(total, index);
    }
    NDArray topPArr = m.create(topP, new Shape(n, 1));
    NDList best = x.topK(k, 1, true, true);
    NDArray probeIds = best.get(1); // (n, K)
    NDArray pw = w.gather(probeIds, 1).toType(DataType.FLOAT64, false); // (n, K)
    NDArray cum = pw.cumSum(1);
    NDArray mass = total.mul(topPArr); // (n, 1)
    NDArray isTopK = null;
    NDArray keep = cum.sub(pw).lt(mass); // top-p: the mass strictly before the token is below p * total
    if (anyTopK) {
      NDArray rank = m.arange(0, k, 1, DataType.INT64).reshape(1, k);
      NDArray kArr = m.create(kEff, new Shape(n, 1));
      // Top-k rows renormalise over their k tokens: top-p's total is the mass of the first k.
      NDArray massOfK = cum.gather(NDArrays.minimum(kArr, k).sub(1), 1);
      isTopK = kArr.lt(Long.MAX_VALUE);
      mass = NDArrays.where(isTopK, massOfK, total).mul(topPArr);
      keep = rank.lt(kArr).logicalAnd(cum.sub(pw).lt(mass));
    }
    if (anyMinP) keep = keep.logicalAnd(pw.gte(m.create(minP, new Shape(n, 1))));
    NDArray kept = pw.mul(keep.toType(DataType.FLOAT64, false));
    // Survivors in ascending id order; the first whose running sum passes u * total is the token.
    NDArray byId = probeIds.argSort(1, true);
    NDArray idsById = probeIds.gather(byId, 1);
    NDArray drawCum = kept.gather(byId, 1).cumSum(1);
    NDArray choice = idsById.gather(countAtOrBelow(drawCum, m.create(u, new Shape(n, 1)), k), 1); // (n, 1)
    boolean[] wide = new boolean[n];
    long[] chosen;
    if (k < vocab) {
      // A probe holding the whole vocabulary always reaches p * total (up to rounding): never wide.
      NDArray isWide = Views.slice(cum, 1, k - 1, k).lt(mass);
      if (isTopK != null) isWide = isTopK.logicalNot().logicalAnd(isWide);
      long[] both = toHost(choice.concat(isWide.toType(DataType.INT64, false), 1)).toLongArray(); // one copy
      chosen = new long[n];
      for (int j = 0; j < n; j++) {
        chosen[j] = both[2 * j];
        wide[j] = both[2 * j + 1] != 0;
      }
    } else {
      chosen = toHost(choice).toLongArray();
    }
    boolean[] wideOfProbed = new boolean[probed.size()];
    for (int j = 0; j < probed.size(); j++) {
      int i = probed.get(j);
      ids[i] = (int) chosen[pos[i]];
      wideOfProbed[j] = wide[pos[i]];
    }
    return wideOfProbed;
  }

  /**
   * Index of the first running sum above u * total (the last sum is the total), as (n, 1) int64:
   * the count of sums at or below the target. The target stays below the total, as in
   * {@link SortedDraw#drawTarget}, so a u that rounds u * total up to the total still lands in range.
   */
  private static NDArray countAtOrBelow(NDArray cum, NDArray u, int width) {
    long last = cum.getShape().get(1) - 1;
    NDArray total = Views.slice(cum, 1, last, last + 1);
    NDArray target = NDArrays.minimum(u.mul(total), total.mul(1 - 0x1.0p-52));
    return NDArrays.minimum(cum.lte(target).sum(new int[] {1}, true), width - 1);
  }

  /**
   * The smallest weight in the nucleus of each wide row: rows sorted ascending on the device, a token
   * is kept iff the mass above it (total minus the ascending running sum through it) is below p * total.
   */
  private double[] nucleusFloor(NDArray w, NDArray total, List<Row> rows, List<Integer> rowsIdx, int vocab) {
    NDManager m = w.getManager();
    int n = rowsIdx.size();
    long[] sel = new long[n];
    double[] topP = new double[n];
    for (int j = 0; j < n; j++) {
      sel[j] = rowsIdx.get(j);
      topP[j] = rows.get(rowsIdx.get(j)).params().topP();
    }
    NDArray idx = m.create(sel);
    NDArray ascending = Views.rows(w, idx).sort(1).toType(DataType.FLOAT64, false); // (n, V)
    NDArray rowTotal = Views.rows(total, idx);
    NDArray mass = rowTotal.mul(m.create(topP, new Shape(n, 1)));
    NDArray above = rowTotal.sub(ascending.cumSum(1)); // mass of the tokens heavier than each
    NDArray keptCount = above.lt(mass).sum(new int[] {1}, true); // (n, 1)
    NDArray floorPos = NDArrays.maximum(NDArrays.minimum(keptCount.neg().add(vocab), vocab - 1), 0);
    return toHost(ascending.gather(floorPos, 1)).toDoubleArray();
  }


  /** The oracle on one row copied to the host: for wide nuclei on a CPU device. */
  private Outcome hostOracle(NDArray logits, Row r, int vocab) {
    float[] row = toHost(logits.get(r.index()).toType(DataType.FLOAT32, false)).toFloatArray();
    try {
      if (r.banned().length > 0) {
        for (int id : r.banned()) if (id >= 0 && id < row.length) row[id] = Float.NEGATIVE_INFINITY;
        // the token only: its logprobs come from the raw logits (addLogprobs), not the masked row
        return new Outcome(SampledToken.of(oracle.sample(row, r.params(), r.history(), r.uniform()).tokenId()), null);
      }
      return new Outcome(oracle.sample(row, r.params(), r.history(), r.uniform()), null);
    } catch (IllegalArgumentException e) {
      return new Outcome(null, e.getMessage());
    }
  }

  /**
   * Logprobs of the RAW logits (see {@link SamplingParams}) for rows that ask: the chosen token's and
   * the top-n alternatives', n the largest any row asks for (each row keeps its own n).
   */
  private void addLogprobs(NDArray raw, List<Row> rows, Outcome[] out) {
    List<Integer> asking = new ArrayList<>();
    int n = 0;
    for (int i = 0; i < rows.size(); i++) {
      Integer lp = rows.get(i).params().logprobs();
      if (lp == null || out[i].token() == null || !Float.isNaN(out[i].token().logprob())) continue;
      asking.add(i);
      n = Math.max(n, lp);
    }
    if (asking.isEmpty()) return;
    NDManager m = raw.getManager();
    int vocab = (int) raw.getShape().get(1);
    n = Math.min(n, vocab);
    long[] sel = new long[asking.size()];
    long[] chosen = new long[asking.size()];
    for (int j = 0; j < sel.length; j++) {
      sel[j] = asking.get(j);
      chosen[j] = out[asking.get(j)].token().tokenId();
    }
    NDArray r = Views.rows(raw, m.create(sel)); // (L, V)
    NDArray logZ = r.logSoftmax(1); // log-softmax; the chosen and top-n entries are gathered from it
    float[] chosenLp = toHost(logZ.gather(m.create(chosen).reshape(sel.length, 1), 1)).toFloatArray();
    long[] topIds = new long[0];
    float[] topLps = new float[0];
    if (n > 0) {
      NDList top = r.topK(n, 1, true, true);
      topIds = toHost(top.get(1)).toLongArray();
      topLps = toHost(logZ.gather(top.get(1), 1)).toFloatArray();
    }
    for (int j = 0; j < sel.length; j++) {
      int i = asking.get(j);
      int want = Math.min(rows.get(i).params().logprobs(), vocab);
      int[] ids = new int[want];
      float[] lps = new float[want];
      for (int t = 0; t < want; t++) {
        ids[t] = (int) topIds[j * n + t];
        lps[t] = topLps[j * n + t];
      }
      out[i] = new Outcome(new SampledToken(out[i].token().tokenId(), chosenLp[j], ids, lps), null);
    }
  }

  /**
   * True when a row's nucleus is its best token alone, so the draw is that token whatever the uniform:
   * top-p without top-k, where the token after the best starts at mass 1 (the best token's weight)
   * and is kept only if 1 is below p * total. The same comparison as the probe's mask, on the same
   * float64 total, so both paths choose alike; the best token is the argmax (the lowest id on a tie,
   * as the oracle breaks ties).
   */
  private static boolean nucleusIsTheBestToken(SamplingParams p, double total, int vocab) {
    return !limitsTopK(p, vocab) && p.topP() < 1.0 && !(1.0 < total * p.topP());
  }

  /** Whether a row's top-k keeps fewer tokens than the vocabulary (else it filters nothing). */
  private static boolean limitsTopK(SamplingParams p, int vocab) {
    return p.topK() > 0 && p.topK() < vocab;
  }

  /** A sampled row with neither top-k nor top-p: drawn over the whole row in id order, no probe. */
  private static boolean drawsWholeRow(SamplingParams p, int vocab) {
    return !p.isGreedy() && !limitsTopK(p, vocab) && p.topP() >= 1.0;
  }

  /** Whether a vocabulary is small enough to be probed whole ({@link #WHOLE_VOCABULARY_PROBE}). */
  private static boolean probesWhole(int vocab) {
    return vocab <= WHOLE_VOCABULARY_PROBE;
  }

  /** As {@link io.tokenmill.engine.runtime.StepResult#greedy()} words it: greedy rows fail alike on every path. */
  private static Outcome greedyProblemOf(float max, int argmax, int vocab) {
    if (Float.isNaN(max)) return new Outcome(null, "logits hold NaN: the model produced a non-number");
    if (max == Float.POSITIVE_INFINITY) {
      return new Outcome(null, "logit[" + argmax + "] is +Infinity: the model overflowed");
    }
    if (max == Float.NEGATIVE_INFINITY) {
      return new Outcome(null, "no token can be chosen: all " + vocab + " logits are -Infinity");
    }
    return null;
  }

  /** The oracle's messages for a sampled row whose (penalised) maximum is not a finite number. */
  private static Outcome problemOf(float max, int vocab) {
    if (Float.isNaN(max)) return new Outcome(null, "logits hold NaN: the model produced a non-number");
    if (max == Float.POSITIVE_INFINITY) return new Outcome(null, "a logit is +Infinity: the model overflowed");
    if (max == Float.NEGATIVE_INFINITY) {
      return new Outcome(null, "no token can be sampled: all " + vocab + " logits are -Infinity");
    }
    return null;
  }

  private NDArray toHost(NDArray a) {
    bytesToHost += a.size() * a.getDataType().getNumOfBytes();
    return a;
  }
}
