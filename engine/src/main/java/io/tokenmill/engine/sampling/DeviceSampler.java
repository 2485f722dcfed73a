package io.tokenmill.engine.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
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
 * rows one argmax; sampled rows: exp of the scaled logits (S × V), one sum, one top-K probe (K = 256 or
 * the largest top-k), then only (S, K) ops: gather, cumsum, masks, sort by id, cumsum, count. Rows
 * with neither top-k nor top-p draw over the whole vocabulary with one masked cumsum (S × V) and a
 * count. Top-p rows whose nucleus is wider than the probe (flat distributions) either sort their
 * weights on the device ({@code wideNucleusOnDevice}: for accelerators, where a sort of 152k is cheap)
 * or copy just that row to the host and let the oracle sample it (for a CPU device, where the logits
 * already live in host memory and libtorch's sort is slower than the oracle's bucketed nucleus).
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
    NDArray raw = allInOrder ? logits : logits.get(new NDIndex("{}", m.create(rowIdx))); // (S, V)
    raw = raw.toType(DataType.FLOAT32, false); // a no-op for float32 logits
    NDArray x = ban(penalise(raw, rows, vocab, out), rows, vocab);

    NDArray max = x.max(new int[] {1}, true); // (S, 1); NaN propagates
    float[] maxHost = toHost(max).toFloatArray();
    int[] ids = new int[s];
    boolean anyGreedy = false;
    boolean anySampled = false;
    for (Row r : rows) {
      anyGreedy |= r.params().isGreedy();
      anySampled |= !r.params().isGreedy();
    }
    if (anyGreedy) {
      long[] argmax = toHost(x.argMax(1)).toLongArray(); // first maximum on ties: the lowest id
      for (int i = 0; i < s; i++) ids[i] = (int) argmax[i];
    }
    for (int i = 0; i < s; i++) {
      if (out[i] != null) continue;
      out[i] = rows.get(i).params().isGreedy() ? greedyProblemOf(maxHost[i], ids[i], vocab)
          : problemOf(maxHost[i], vocab);
    }
    boolean[] onHost = new boolean[s];
    if (anySampled) drawSampled(x, max, rows, vocab, ids, out, onHost);

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

  /** Temperature, top-k, top-p and min-p, then the draw, for every non-greedy row. */
  private void drawSampled(NDArray x, NDArray max, List<Row> rows, int vocab, int[] ids, Outcome[] out,
      boolean[] onHost) {
    NDManager m = x.getManager();
    int s = rows.size();
    int k = Math.min(vocab, PROBE);
    float[] invT = new float[s];
    long[] kEff = new long[s];
    double[] topP = new double[s];
    double[] minP = new double[s];
    double[] u = new double[s];
    boolean[] fullVocab = new boolean[s];
    for (int i = 0; i < s; i++) {
      SamplingParams p = rows.get(i).params();
      boolean greedy = p.isGreedy();
      invT[i] = greedy ? 1f : (float) (1.0 / p.temperature());
      boolean topK = p.topK() > 0 && p.topK() < vocab;
      if (topK) k = Math.max(k, p.topK());
      kEff[i] = topK ? p.topK() : Long.MAX_VALUE;
      topP[i] = p.topP() < 1.0 ? p.topP() : Double.POSITIVE_INFINITY; // p * total = inf keeps everything
      minP[i] = p.minP();
      u[i] = rows.get(i).uniform();
      fullVocab[i] = !greedy && !topK && p.topP() >= 1.0;
    }
    NDArray w = x.sub(max).mul(m.create(invT).reshape(s, 1)).exp(); // (S, V) weights, the top one exactly 1
    NDArray total = w.sum(new int[] {1}, true).toType(DataType.FLOAT64, false); // (S, 1)

    // The probe: the K best tokens, best first; every filter is a mask over it.
    NDList best = x.topK(k, 1, true, true);
    NDArray probeIds = best.get(1); // (S, K)
    NDArray pw = w.gather(probeIds, 1).toType(DataType.FLOAT64, false); // (S, K)
    NDArray cum = pw.cumSum(1);
    NDArray rank = m.arange(0, k, 1, DataType.INT64).reshape(1, k);
    NDArray kArr = m.create(kEff).reshape(s, 1);
    // Top-k rows renormalise over their k tokens: top-p's total is the mass of the first k.
    NDArray massOfK = cum.gather(NDArrays.minimum(kArr, k).sub(1), 1);
    NDArray isTopK = kArr.lt(Long.MAX_VALUE);
    NDArray mass = NDArrays.where(isTopK, massOfK, total).mul(m.create(topP).reshape(s, 1)); // (S, 1)
    NDArray keep = rank.lt(kArr)
        .logicalAnd(cum.sub(pw).lt(mass)) // top-p: the mass strictly before the token is below p * total
        .logicalAnd(pw.gte(m.create(minP).reshape(s, 1)));
    NDArray kept = pw.mul(keep.toType(DataType.FLOAT64, false));
    // Survivors in ascending id order; the first whose running sum passes u * total is the token.
    NDArray byId = probeIds.argSort(1, true);
    NDArray idsById = probeIds.gather(byId, 1);
    NDArray drawCum = kept.gather(byId, 1).cumSum(1);
    NDArray probeChoice = idsById.gather(countAtOrBelow(drawCum, m.create(u).reshape(s, 1), k), 1);
    // Top-p rows without top-k whose probe never reaches p * total have a wider nucleus.
    NDArray wide = isTopK.logicalNot().logicalAnd(cum.get(":, -1:").lt(mass));

    long[] chosen = toHost(probeChoice).toLongArray();
    // A probe holding the whole vocabulary always reaches p * total (up to rounding): never wide.
    boolean[] wideHost = k < vocab ? toHost(wide).toBooleanArray() : new boolean[s];
    List<Integer> wholeRow = new ArrayList<>(); // drawn over the whole row in id order
    List<Integer> wideOnDevice = new ArrayList<>();
    double[] floor = minP.clone(); // the smallest weight a whole-row draw keeps
    for (int i = 0; i < s; i++) {
      if (out[i] != null || rows.get(i).params().isGreedy()) continue;
      if (fullVocab[i]) {
        wholeRow.add(i); // keeps w >= minP, as the oracle zeroes lighter weights
      } else if (wideHost[i]) {
        if (wideNucleusOnDevice) wideOnDevice.add(i);
        else onHost[i] = true;
      } else {
        ids[i] = (int) chosen[i];
      }
    }
    if (!wideOnDevice.isEmpty()) {
      double[] cut = nucleusFloor(w, total, m.create(topP).reshape(s, 1), wideOnDevice, vocab);
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
      uu[j] = u[i];
    }
    NDArray wr = w.get(new NDIndex("{}", m.create(sel)));
    NDArray keptRow = wr.mul(wr.gte(m.create(thr).reshape(n, 1)).toType(DataType.FLOAT32, false));
    NDArray rowCum = keptRow.cumSum(1).toType(DataType.FLOAT64, false); // (n, V), in id order
    long[] pos = toHost(countAtOrBelow(rowCum, m.create(uu).reshape(n, 1), vocab)).toLongArray();
    for (int j = 0; j < n; j++) ids[wholeRow.get(j)] = (int) pos[j];
  }

  /**
   * Index of the first running sum above u * total (the last sum is the total), as (n, 1) int64:
   * the count of sums at or below the target. The target stays below the total, as in
   * {@link SortedDraw#drawTarget}, so a u that rounds u * total up to the total still lands in range.
   */
  private static NDArray countAtOrBelow(NDArray cum, NDArray u, int width) {
    NDArray total = cum.get(":, -1:");
    NDArray target = NDArrays.minimum(u.mul(total), total.mul(1 - 0x1.0p-52));
    return NDArrays.minimum(cum.lte(target).sum(new int[] {1}, true), width - 1);
  }

  /**
   * The smallest weight in the nucleus of each wide row: rows sorted ascending on the device, a token
   * is kept iff the mass above it (total minus the ascending running sum through it) is below p * total.
   */
  private double[] nucleusFloor(NDArray w, NDArray total, NDArray topP, List<Integer> rowsIdx, int vocab) {
    NDManager m = w.getManager();
    long[] sel = rowsIdx.stream().mapToLong(Integer::longValue).toArray();
    NDArray idx = m.create(sel);
    NDArray ascending = w.get(new NDIndex("{}", idx)).sort(1).toType(DataType.FLOAT64, false); // (n, V)
    NDArray rowTotal = total.get(new NDIndex("{}", idx));
    NDArray mass = rowTotal.mul(topP.get(new NDIndex("{}", idx)));
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
    NDArray r = raw.get(new NDIndex("{}", m.create(sel))); // (L, V)
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

  /** The oracle's messages for a row whose (penalised) maximum is not a finite number. */
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
