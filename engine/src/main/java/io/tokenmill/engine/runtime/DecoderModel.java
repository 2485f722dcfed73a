package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.weights.Checkpoint;
import java.nio.file.Path;

/**
 * The Llama/Qwen2/Qwen3 decoder on DJL NDArrays: one batched call runs any mix of prefill chunks and
 * decode steps (see {@link StepBatch}) against a {@link KvCache}, and returns the logits of each
 * sequence's last new token. All temporaries of a call live in one sub-manager closed with the
 * {@link StepResult}, so nothing accumulates across steps.
 *
 * <p>Activations are flattened to (N, hidden) with N = B·T rows (T = longest new run; shorter runs are
 * padded and their rows ignored), so every projection is one GEMM over the whole batch.
 */
public final class DecoderModel implements AutoCloseable {

  private final ModelConfig config;
  private final ComputeDevice device;
  private final NDManager manager;
  private final DecoderWeights weights;
  private final Rope rope;
  private final NDArray eps;
  private final NDArray eps32;
  private volatile boolean countOps;

  private DecoderModel(ModelConfig config, ComputeDevice device, NDManager manager, DecoderWeights weights) {
    this.config = config;
    this.device = device;
    this.manager = manager;
    this.weights = weights;
    this.rope = new Rope(config, manager.newSubManager(), device);
    this.eps = manager.create((float) config.rmsNormEps()).toType(device.dataType(), false);
    this.eps32 = manager.create((float) config.rmsNormEps());
  }

  /** Loads {@code config.json} and the safetensors weights of a model dir onto a device. */
  public static DecoderModel load(Path modelDir, ComputeDevice device) {
    ModelConfig config = ModelConfig.read(modelDir.resolve("config.json"));
    return load(config, modelDir, device);
  }

  public static DecoderModel load(ModelConfig config, Path modelDir, ComputeDevice device) {
    NDManager manager = NDManager.newBaseManager(device.device());
    manager.setName("tokenmill-model");
    try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
      NDManager weightScope = manager.newSubManager();
      weightScope.setName("tokenmill-weights");
      DecoderWeights weights = DecoderWeights.load(config, ckpt, weightScope, device);
      // Nothing may attach to the weights after loading: a step op whose result landed here would be a
      // leak growing with every token, so make it throw instead.
      weightScope.cap();
      return new DecoderModel(config, device, manager, weights);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  public ModelConfig config() {
    return config;
  }

  public ComputeDevice device() {
    return device;
  }

  /** The model's root memory scope (weights, RoPE tables, caches and steps are its sub-scopes). */
  public NDManager manager() {
    return manager;
  }

  /**
   * A paged cache of {@code numBlocks} blocks of {@code blockSize} tokens; positions up to
   * {@code maxPositions} get RoPE tables.
   */
  public KvCache newKvCache(int numBlocks, int blockSize, int maxPositions) {
    if (maxPositions > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException("maxPositions " + maxPositions + " exceeds max_position_embeddings "
          + config.maxPositionEmbeddings());
    }
    rope.ensure(maxPositions);
    return new KvCache(manager, config, device, numBlocks, blockSize);
  }

  /**
   * Turns op counting on or off for later forwards (off by default). When on, each {@link StepResult}
   * carries how many DJL ops the forward issued, per layer and outside the layers: every op that
   * reaches libtorch returns a new NDArray in the scope of its first operand, so the count is the arrays
   * a layer's scope (or the step's) gained, plus the two in-place K/V cache writes per layer, which
   * create none. Counting walks those scopes once per layer, so it is for benchmarks and tests.
   */
  public void countOps(boolean on) {
    countOps = on;
  }

  /** Runs one batched step; the caller closes the result. */
  public StepResult forward(KvCache cache, StepBatch batch) {
    rope.ensure(batch.maxContext());
    NDManager step = manager.newSubManager();
    StepResult.Ops ops = countOps ? new StepResult.Ops() : null;
    long[] prepNanos = new long[1];
    try {
      NDArray logits = run(step, cache, batch, ops, prepNanos);
      if (ops != null) ops.otherOps += step.getManagedArrays().size() - ops.afterLayers;
      return new StepResult(step, logits, config.vocabSize(), ops, prepNanos[0]);
    } catch (RuntimeException e) {
      step.close();
      throw e;
    }
  }

  /** Steps with fewer token rows than this run their small ops on one thread (see {@link Projection}). */
  static final int NARROW_STEP_ROWS = 128;

  private NDArray run(NDManager step, KvCache cache, StepBatch batch, StepResult.Ops ops, long[] prepNanos) {
    long prepStart = System.nanoTime();
    int b = batch.size();
    int n = batch.totalNewTokens();
    boolean narrow = n < NARROW_STEP_ROWS;
    Projection.beginStep(narrow);
    // Rows are exactly the step's new tokens, sequence after sequence: a 64-token prefill chunk batched
    // with 30 decodes costs 94 rows in every projection, not 31 × 64.
    long[] tokens = new long[n];
    long[] positions = new long[n];
    long[] writeRows = new long[n];
    long[] lastRows = new long[b];
    int r = 0;
    for (int bi = 0; bi < b; bi++) {
      int[] seq = batch.tokens()[bi];
      int start = batch.starts()[bi];
      for (int ti = 0; ti < seq.length; ti++, r++) {
        checkToken(seq[ti], bi);
        tokens[r] = seq[ti];
        positions[r] = start + ti;
        writeRows[r] = cache.row(batch.blockTables()[bi], start + ti);
      }
      lastRows[bi] = r - 1;
    }
    NDArray posIdx = step.create(positions);
    NDArray writeIdx = step.create(writeRows);
    AttentionPlan plan = AttentionPlan.build(batch, cache, step, device.dataType());
    NDArray tokenIdx = step.create(tokens);
    prepNanos[0] = System.nanoTime() - prepStart; // Java-side inputs and attention plan, with their uploads
    NDArray[] cosSin = rope.tables(posIdx, n, step);

    NDArray x = weights.embedding().get(step, new NDIndex("{}", tokenIdx)); // (N, h)
    if (ops != null) {
      ops.otherOps = step.getManagedArrays().size(); // inputs, attention plan, RoPE rows, embedding
    }
    for (int l = 0; l < weights.layers().size(); l++) {
      // One scope per layer: a layer's temporaries (a prefill's MLP activations are hundreds of MB) die
      // before the next layer runs; only the new residual stream moves up to the step's scope.
      try (NDManager scope = step.newSubManager()) {
        x.tempAttach(scope);
        int before = ops == null ? 0 : scope.getManagedArrays().size();
        NDArray next = layer(scope, weights.layers().get(l), l, x, cache, n, cosSin, plan, writeIdx, narrow);
        if (ops != null) {
          ops.layerOps += scope.getManagedArrays().size() - before + KV_WRITES_PER_LAYER;
          ops.layers++;
        }
        next.attach(step);
        x.close();
        x = next;
      }
    }
    // Each layer's input was closed and its output attached here: the scope holds as many arrays as before.
    if (ops != null) ops.afterLayers = step.getManagedArrays().size();
    NDArray last = (n == b) ? x : x.get(new NDIndex("{}", step.create(lastRows))); // (B, h)
    return weights.lmHead().apply(rmsNorm(last, weights.finalNorm()), narrow); // (B, vocab)
  }

  /** In-place index_put ops of {@link KvCache#write} (K and V): they return no new array to count. */
  private static final int KV_WRITES_PER_LAYER = 2;

  /** One decoder layer over the flattened batch: x + attn(norm(x)), then + mlp(norm(·)). */
  private NDArray layer(NDManager scope, DecoderWeights.Layer w, int l, NDArray x, KvCache cache, int n,
      NDArray[] cosSin, AttentionPlan plan, NDArray writeIdx, boolean narrow) {
    int nH = config.numHeads();
    int nKv = config.numKvHeads();
    int hd = config.headDim();
    // --- attention block: x + o(attn(norm(x)))
    NDArray qkv = w.qkv().apply(rmsNorm(x, w.inputNorm()), narrow).reshape(n, nH + 2 * nKv, hd);
    NDArray qk = qkv.get(new NDIndex(":, 0:{}, :", nH + nKv)); // (N, nH + nKv, hd)
    NDArray val = qkv.get(new NDIndex(":, {}:, :", nH + nKv)); // (N, nKv, hd)
    if (w.qkNorm() != null) {
      qk = rmsNorm(qk, w.qkNorm()); // Qwen3: per-head norm before RoPE
    }
    qk = rope.apply(qk, cosSin);
    NDArray q = qk.get(new NDIndex(":, 0:{}, :", nH));
    NDArray k = qk.get(new NDIndex(":, {}:, :", nH));
    cache.write(l, writeIdx, k, val);
    NDArray attn;
    if (plan.restoreOrder == null) {
      attn = attend(scope, cache, l, q, plan.groups.get(0));
    } else {
      NDList parts = new NDList();
      for (AttentionPlan.Group grp : plan.groups) {
        parts.add(attend(scope, cache, l, q.get(new NDIndex("{}", grp.queryRows())), grp));
      }
      attn = NDArrays.concat(parts, 0).get(new NDIndex("{}", plan.restoreOrder));
    }
    NDArray h = x.add(w.o().apply(attn, narrow));
    // --- MLP block: h + down(silu(gate) * up)
    NDArray gateUp = w.gateUp().apply(rmsNorm(h, w.postNorm()), narrow);
    int inter = config.intermediateSize();
    NDArray gate = gateUp.get(new NDIndex(":, 0:{}", inter));
    NDArray up = gateUp.get(new NDIndex(":, {}:", inter));
    return h.add(w.down().apply(gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up), narrow));
  }

  /** Attention of one group's queries (rows, nH, hd) over its gathered keys/values → (rows, nH·hd). */
  private NDArray attend(NDManager scope, KvCache cache, int l, NDArray q, AttentionPlan.Group grp) {
    int b = grp.size();
    int t = grp.t();
    int len = grp.len();
    int nH = config.numHeads();
    int nKv = config.numKvHeads();
    int hd = config.headDim();
    int g = config.groupSize();
    NDArray[] kv = cache.read(l, grp.readRows(), scope); // views (B, nKv, L, hd)
    // GQA without copying K/V per query head: the g query heads of one KV head are columns of one matrix.
    NDArray qg = q.reshape(b, t, nKv, g, hd).transpose(0, 2, 4, 3, 1).reshape(b, nKv, hd, g * t);
    // Scores transposed, (B, nKv, L, g·T) = K·qᵀ: a tall GEMM per (sequence, KV head), ~3× faster in MKL
    // than the skinny q·Kᵀ with M = g·T rows. 1/sqrt(hd) is folded into q.
    NDArray scores = kv[0].matMul(qg);
    if (grp.mask() != null) {
      scores = scores.reshape(b, nKv, len, g, t).add(grp.mask()).reshape(b, nKv, len, g * t);
    }
    NDArray probs = scores.softmax(-2);
    return probs.transpose(0, 1, 3, 2).matMul(kv[1]) // (B, nKv, g·T, hd)
        .reshape(b, nKv, g, t, hd).transpose(0, 3, 1, 2, 4).reshape(b * t, nH * hd);
  }

  /**
   * RMSNorm over the last axis: x / sqrt(mean(x²) + eps) * w. In fp16 (GPU) the statistics are taken in
   * fp32, as HF does: residual streams carry activations in the hundreds, whose squares overflow fp16.
   */
  private NDArray rmsNorm(NDArray x, NDArray w) {
    if (x.getDataType() == DataType.FLOAT16) {
      NDArray xf = x.toType(DataType.FLOAT32, false);
      NDArray normed = xf.div(xf.square().mean(new int[] {-1}, true).add(eps32).sqrt());
      return normed.toType(DataType.FLOAT16, false).mul(w);
    }
    return x.div(x.square().mean(new int[] {-1}, true).add(eps).sqrt()).mul(w);
  }

  private void checkToken(int id, int seq) {
    if (id < 0 || id >= config.vocabSize()) {
      throw new IllegalArgumentException("sequence " + seq + ": token id " + id + " outside vocab [0, "
          + config.vocabSize() + ")");
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
