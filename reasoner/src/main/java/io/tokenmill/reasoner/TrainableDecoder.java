package io.tokenmill.reasoner;

import static io.tokenmill.engine.weights.WeightNames.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.Rope;
import io.tokenmill.engine.weights.Checkpoint;
import io.tokenmill.engine.weights.SafetensorsWriter;
import io.tokenmill.engine.weights.WeightSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The Llama/Qwen2/Qwen3 decoder as a trainable function: its parameters are the HF checkpoint tensors
 * (same names, same (out, in) layout, see {@link WeightSchema}), each with a gradient, and
 * {@link #logits} runs the forward over a {@link PackedBatch} with plain DJL ops that autograd records.
 *
 * <p>It computes the same function as {@link io.tokenmill.engine.runtime.DecoderModel} — RMSNorm, RoPE
 * (the runtime's own {@link Rope}), GQA attention with a causal mask, SwiGLU, tied or separate head,
 * qwen2 q/k/v biases or qwen3 q/k norms — but without the runtime's inference layout (fused and
 * pre-transposed weights, folded scales, paged KV cache), which would only get in the way of gradients.
 * {@code TrainedModelEquivalenceTest} checks the two agree on the exported model.
 */
public final class TrainableDecoder implements AutoCloseable {

  private final ModelConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final Rope rope;
  /** Queries per attention tile; rows no longer than this attend whole (one batched matmul pair). */
  private int attentionBlock = DEFAULT_ATTENTION_BLOCK;

  /** Queries per attention tile in training steps (measured in docs/MODELS.md, "Training speed"). */
  public static final int DEFAULT_ATTENTION_BLOCK = 256;

  private TrainableDecoder(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
    this.config = config;
    this.manager = manager;
    this.params = Collections.unmodifiableMap(params);
    this.rope = new Rope(config, manager.newSubManager(), ComputeDevice.cpu());
    params.values().forEach(p -> p.setRequiresGradient(true));
  }

  /**
   * Fresh weights, deterministic per (seed, tensor name): N(0, 0.02²) for the embedding and every
   * projection, with the two projections that write into the residual stream (o_proj, down_proj) scaled
   * by 1/sqrt(2·layers) so the stream does not grow with depth (GPT-2's init); norms 1, biases 0.
   */
  public static TrainableDecoder init(ModelConfig config, long seed) {
    NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu());
    manager.setName("tokenmill-train");
    Map<String, NDArray> params = new LinkedHashMap<>();
    double residualScale = 1 / Math.sqrt(2.0 * config.numLayers());
    new WeightSchema(config).expected().forEach((name, shape) -> {
      float[] v = new float[Math.toIntExact(count(shape))];
      if (name.endsWith("norm.weight")) {
        java.util.Arrays.fill(v, 1f);
      } else if (!name.endsWith(".bias")) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
        double std = 0.02 * (name.endsWith(O + ".weight") || name.endsWith(DOWN) ? residualScale : 1);
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * rng.nextGaussian());
      }
      params.put(name, manager.create(v, new Shape(shape)));
    });
    return new TrainableDecoder(config, manager, params);
  }

  /** The weights of a model directory (for tests: continuing from, or comparing with, an export). */
  public static TrainableDecoder load(ModelConfig config, Path modelDir) {
    NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu());
    Map<String, NDArray> params = new LinkedHashMap<>();
    try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
      new WeightSchema(config).validate(ckpt);
      new WeightSchema(config).expected().forEach((name, shape) ->
          params.put(name, manager.create(ckpt.readFloats(ckpt.require(name)), new Shape(shape))));
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    return new TrainableDecoder(config, manager, params);
  }

  /**
   * The weights of a smaller model directory grown into {@code config} without changing what the model
   * computes: key/value heads are duplicated ({@code source}'s head {@code j} becomes heads
   * {@code j·r .. j·r+r-1}, r = the ratio of head counts, so every query head still reads the same keys
   * and values) and layers beyond the source's are appended as identities (their {@code o_proj} and
   * {@code down_proj} start at zero, the rest as {@link #init}). Everything else must match. Training can
   * then give the new heads and layers roles of their own. Same shapes: as {@link #load}.
   */
  public static TrainableDecoder grow(ModelConfig config, Path modelDir, long seed) {
    ModelConfig source = ModelConfig.read(modelDir.resolve("config.json"));
    String why = growable(source, config);
    if (why != null) throw new IllegalArgumentException("cannot grow " + modelDir + " into " + config + ": " + why);
    if (source.numKvHeads() == config.numKvHeads() && source.numLayers() == config.numLayers()) return load(config, modelDir);
    int r = config.numKvHeads() / source.numKvHeads();
    int rowsPerHead = config.headDim();
    try (TrainableDecoder fresh = init(config, seed)) {
      NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu());
      Map<String, NDArray> params = new LinkedHashMap<>();
      try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
        new WeightSchema(source).validate(ckpt);
        Map<String, long[]> sourceNames = new WeightSchema(source).expected();
        new WeightSchema(config).expected().forEach((name, shape) -> {
          float[] v;
          if (sourceNames.containsKey(name)) {
            v = ckpt.readFloats(ckpt.require(name));
            boolean kv = name.contains(K + ".") || name.contains(V + ".");
            if (kv && r > 1) v = repeatHeads(v, Math.toIntExact(count(shape)) / (config.numKvHeads() * rowsPerHead) * rowsPerHead, r);
          } else if (name.endsWith(O + ".weight") || name.endsWith(DOWN)) {
            v = new float[Math.toIntExact(count(shape))];
          } else {
            v = fresh.params.get(name).toFloatArray();
          }
          params.put(name, manager.create(v, new Shape(shape)));
        });
      } catch (RuntimeException e) {
        manager.close();
        throw e;
      }
      return new TrainableDecoder(config, manager, params);
    }
  }

  /** Why {@code source} cannot grow into {@code target}, or null when it can. */
  static String growable(ModelConfig source, ModelConfig target) {
    if (!source.architecture().equals(target.architecture())) return "architecture " + source.architecture() + " vs " + target.architecture();
    if (source.vocabSize() != target.vocabSize() || source.hiddenSize() != target.hiddenSize()
        || source.intermediateSize() != target.intermediateSize() || source.numHeads() != target.numHeads()
        || source.headDim() != target.headDim() || source.tieWordEmbeddings() != target.tieWordEmbeddings()) {
      return "only key/value heads and layers can grow (vocab, hidden, intermediate, heads, head_dim and tying must match)";
    }
    if (target.numLayers() < source.numLayers()) return "layers cannot shrink (" + source.numLayers() + " -> " + target.numLayers() + ")";
    if (target.numKvHeads() % source.numKvHeads() != 0) {
      return "key/value heads " + source.numKvHeads() + " -> " + target.numKvHeads() + " is not a whole multiple";
    }
    return null;
  }

  /** Each block of {@code block} consecutive values (one head's rows) repeated {@code r} times in place. */
  private static float[] repeatHeads(float[] v, int block, int r) {
    float[] out = new float[v.length * r];
    for (int h = 0; h < v.length / block; h++) {
      for (int c = 0; c < r; c++) System.arraycopy(v, h * block, out, (h * r + c) * block, block);
    }
    return out;
  }

  /** Sets the queries per attention tile (rows up to this length attend whole); returns this. */
  public TrainableDecoder attentionBlock(int queries) {
    if (queries < 1) throw new IllegalArgumentException("attention block must be positive: " + queries);
    this.attentionBlock = queries;
    return this;
  }

  public ModelConfig config() {
    return config;
  }

  /** Parameters by HF tensor name, in checkpoint order. */
  public Map<String, NDArray> parameters() {
    return params;
  }

  public long parameterCount() {
    long n = 0;
    for (NDArray p : params.values()) n += p.size();
    return n;
  }

  /** The current weights as safetensors tensors under their HF names (values copied out now). */
  public List<SafetensorsWriter.Tensor> export() {
    List<SafetensorsWriter.Tensor> out = new ArrayList<>();
    params.forEach((name, p) -> {
      float[] values = p.toFloatArray();
      out.add(new SafetensorsWriter.Tensor(name, p.getShape().getShape(), t -> values));
    });
    return out;
  }

  /** Logits of every slot of the batch, (rows·length, vocab); results belong to {@code step}. */
  public NDArray logits(NDManager step, PackedBatch batch) {
    int b = batch.rows();
    int t = batch.length();
    int n = b * t;
    rope.ensure(t);
    NDArray posIdx = step.create(batch.positions());
    NDArray[] cosSin = rope.tables(posIdx, n, step); // (N, 1, hd) each
    Attention attention = t <= attentionBlock
        ? new Attention(step.create(batch.attentionMask(), new Shape(b, 1, 1, t, t)), null, null)
        : Attention.tiled(step, batch.attentionTiles(attentionBlock));
    NDArray x = param(EMBED).get(step, new NDIndex("{}", step.create(batch.tokens()))); // (N, h)
    for (int l = 0; l < config.numLayers(); l++) {
      x = block(l, x, b, t, cosSin, attention);
    }
    NDArray head = config.tieWordEmbeddings() ? param(EMBED) : param(LM_HEAD);
    return linear(rmsNorm(x, param(FINAL_NORM)), head, null); // (N, vocab)
  }

  /** Mean cross-entropy of the completion tokens (those with a loss-mask weight), a scalar in {@code step}. */
  public NDArray loss(NDManager step, PackedBatch batch) {
    return lossSum(step, batch).div(Math.max(1, batch.targetCount()));
  }

  /** Summed cross-entropy of the completion tokens, a scalar in {@code step}. */
  public NDArray lossSum(NDManager step, PackedBatch batch) {
    NDArray logp = logits(step, batch).logSoftmax(-1); // (N, V)
    NDArray targets = step.create(batch.targets()).reshape(-1, 1);
    NDArray picked = JniUtils.gather((PtNDArray) logp, (PtNDArray) targets, 1).reshape(-1); // (N)
    NDArray weights = step.create(batch.lossMask());
    return picked.mul(weights).sum().neg();
  }

  /**
   * How a step's attention is laid out: one full (B, 1, 1, T, T) mask over whole rows ({@code mask}), or
   * tiles of queries against just the keys they can see ({@code tiles}, their masks in {@code tileMasks}).
   */
  private record Attention(NDArray mask, List<PackedBatch.AttentionTile> tiles, List<NDArray> tileMasks) {
    static Attention tiled(NDManager step, List<PackedBatch.AttentionTile> tiles) {
      List<NDArray> masks = new ArrayList<>();
      for (PackedBatch.AttentionTile tile : tiles) {
        masks.add(step.create(tile.mask(), new Shape(1, 1, tile.qTo() - tile.qFrom(), tile.qTo() - tile.kFrom())));
      }
      return new Attention(null, tiles, masks);
    }
  }

  /** One pre-norm block: x + attn(norm(x)), then + mlp(norm(·)). x: (N, h). */
  private NDArray block(int l, NDArray x, int b, int t, NDArray[] cosSin, Attention attention) {
    int n = b * t;
    int nH = config.numHeads();
    int nKv = config.numKvHeads();
    int hd = config.headDim();
    int g = config.groupSize();
    boolean bias = config.architecture().qkvBias();
    NDArray h = rmsNorm(x, param(layer(l, INPUT_NORM)));
    NDArray q = linear(h, param(layer(l, Q + ".weight")), bias ? param(layer(l, Q + ".bias")) : null)
        .reshape(n, nH, hd);
    NDArray k = linear(h, param(layer(l, K + ".weight")), bias ? param(layer(l, K + ".bias")) : null)
        .reshape(n, nKv, hd);
    NDArray v = linear(h, param(layer(l, V + ".weight")), bias ? param(layer(l, V + ".bias")) : null)
        .reshape(n, nKv, hd);
    if (config.architecture().qkNorm()) { // Qwen3: per-head RMSNorm before RoPE
      q = rmsNorm(q, param(layer(l, Q_NORM)));
      k = rmsNorm(k, param(layer(l, K_NORM)));
    }
    q = rope.apply(q, cosSin).mul(1 / Math.sqrt(hd));
    k = rope.apply(k, cosSin);
    // GQA: the g query heads of a KV head are stacked as rows of one matmul.
    NDArray qAll = q.reshape(b, t, nKv, g, hd).transpose(0, 2, 3, 1, 4); // (B, nKv, g, T, hd)
    NDArray kAll = k.reshape(b, t, nKv, hd).transpose(0, 2, 3, 1); // (B, nKv, hd, T)
    NDArray vAll = v.reshape(b, t, nKv, hd).transpose(0, 2, 1, 3); // (B, nKv, T, hd)
    NDArray attn = attention.mask() != null
        ? fullAttention(qAll, kAll, vAll, b, t, attention.mask())
        : tiledAttention(qAll, kAll, vAll, t, attention); // (B, nKv, g, T, hd)
    attn = attn.transpose(0, 3, 1, 2, 4).reshape(n, nH * hd);
    NDArray o = linear(attn, param(layer(l, O + ".weight")),
        config.architecture().outputBias() ? param(layer(l, O + ".bias")) : null);
    NDArray x2 = x.add(o);
    NDArray h2 = rmsNorm(x2, param(layer(l, POST_NORM)));
    NDArray gate = linear(h2, param(layer(l, GATE)), null);
    NDArray up = linear(h2, param(layer(l, UP)), null);
    NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up); // SwiGLU: silu(gate) * up
    return x2.add(linear(act, param(layer(l, DOWN)), null));
  }

  /**
   * Attention over whole rows under a (B, 1, 1, T, T) mask, from head-major q (B, nKv, g, T, hd), kᵀ
   * (B, nKv, hd, T) and v (B, nKv, T, hd); (B, nKv, g, T, hd).
   */
  private NDArray fullAttention(NDArray qAll, NDArray kAll, NDArray vAll, int b, int t, NDArray mask) {
    int nKv = config.numKvHeads();
    int hd = config.headDim();
    int g = config.groupSize();
    NDArray scores = qAll.reshape(b, nKv, g * t, hd).matMul(kAll).reshape(b, nKv, g, t, t).add(mask);
    NDArray probs = scores.softmax(-1).reshape(b, nKv, g * t, t);
    return probs.matMul(vAll).reshape(b, nKv, g, t, hd);
  }

  /**
   * The same attention tile by tile ({@link PackedBatch#attentionTiles}): each tile's queries against
   * only the keys from its first query's sequence start on, so the work is about the visible half of
   * each sequence's square instead of every row's full square; same inputs, (B, nKv, g, T, hd).
   */
  private NDArray tiledAttention(NDArray qAll, NDArray kAll, NDArray vAll, int t, Attention attention) {
    int nKv = config.numKvHeads();
    int hd = config.headDim();
    int g = config.groupSize();
    List<NDArray> rows = new ArrayList<>();
    List<NDArray> pieces = new ArrayList<>();
    for (int i = 0; i < attention.tiles().size(); i++) {
      PackedBatch.AttentionTile tile = attention.tiles().get(i);
      int lq = tile.qTo() - tile.qFrom();
      int lk = tile.qTo() - tile.kFrom();
      NDArray qt = qAll.get(new NDIndex("{}, :, :, {}:{}", tile.row(), tile.qFrom(), tile.qTo())).reshape(nKv, g * lq, hd);
      NDArray kt = kAll.get(new NDIndex("{}, :, :, {}:{}", tile.row(), tile.kFrom(), tile.qTo())); // (nKv, hd, Lk)
      NDArray vt = vAll.get(new NDIndex("{}, :, {}:{}", tile.row(), tile.kFrom(), tile.qTo())); // (nKv, Lk, hd)
      NDArray scores = qt.matMul(kt).reshape(nKv, g, lq, lk).add(attention.tileMasks().get(i));
      NDArray probs = scores.softmax(-1).reshape(nKv, g * lq, lk);
      pieces.add(probs.matMul(vt).reshape(nKv, g, lq, hd));
      if (tile.qTo() == t) { // the row's last tile
        rows.add(pieces.size() == 1 ? pieces.get(0) : NDArrays.concat(new NDList(pieces), 2));
        pieces.clear();
      }
    }
    return NDArrays.stack(new NDList(rows)); // (B, nKv, g, T, hd)
  }

  /** x·Wᵀ + b with W in HF (out, in) layout. */
  private static NDArray linear(NDArray x, NDArray w, NDArray bias) {
    return JniUtils.linear((PtNDArray) x, (PtNDArray) w, (PtNDArray) bias);
  }

  /** RMSNorm over the last axis, as HF: x / sqrt(mean(x²) + eps) * w. */
  private NDArray rmsNorm(NDArray x, NDArray w) {
    return x.div(x.square().mean(new int[] {-1}, true).add((float) config.rmsNormEps()).sqrt()).mul(w);
  }

  private NDArray param(String name) {
    NDArray p = params.get(name);
    if (p == null) throw new IllegalStateException("no parameter " + name);
    return p;
  }

  private static long count(long[] shape) {
    long n = 1;
    for (long d : shape) n *= d;
    return n;
  }

  /** The manager the parameters (and the optimizer's state, via {@link AdamW}) live in. */
  NDManager manager() {
    return manager;
  }

  @Override
  public void close() {
    manager.close();
  }
}
