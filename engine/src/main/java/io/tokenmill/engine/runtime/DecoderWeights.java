package io.tokenmill.engine.runtime;

import static io.tokenmill.engine.weights.WeightNames.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.weights.Checkpoint;
import io.tokenmill.engine.weights.DType;
import io.tokenmill.engine.weights.TensorEntry;
import io.tokenmill.engine.weights.WeightSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoder's weights on the device, rearranged at load so that a layer is few ops (see {@link
 * DecoderModel}); the function computed is the checkpoint's.
 *
 * <ul>
 *   <li><b>Padded residual stream.</b> The forward carries activations as (N, {@link #paddedHidden}) rows:
 *       the hidden values, then one constant c = sqrt(hidden·eps), then zeros. Then ‖row‖ =
 *       sqrt(hidden)·sqrt(mean(x²) + eps), so RMSNorm is one {@code normalize} (eps inside the root, as HF
 *       has it), with the factor sqrt(hidden) and the norm weight folded into the rows of the projection
 *       that follows (whose padding rows are zero). o and down write zero into the padding columns, so
 *       the residual add — fused into their GEMM as its bias — keeps c in place.</li>
 *   <li><b>q/k/v grouped by KV head</b>: per KV head j its g query heads, then k_j, then v_j, so one reshape
 *       gives (N, nKv, g + 2, hd) with each KV head's queries, key and value together; the attention scale
 *       1/sqrt(head_dim) folded into the query rows (or into q_norm for Qwen3, whose norm would undo it).</li>
 *   <li><b>Mirrored head dims for RoPE</b>: in q and k heads, the second half of the head dims is stored
 *       reversed, so that rotate-half's partner of every dim is its mirror image and RoPE is
 *       {@code x·cos + flip(x)·sin} ({@link MirroredRope}). Attention only takes q·k products, which the
 *       shared permutation leaves unchanged; v is not permuted.</li>
 *   <li>gate/up fused into one matrix, each projection in the device's fastest layout ({@link Projection}).</li>
 * </ul>
 */
record DecoderWeights(
    NDArray embedding, List<Layer> layers, NDArray finalNorm, Projection lmHead, int hidden, int paddedHidden,
    float normConstant) {

  record Layer(Projection qkv, NDArray qkNorm, Projection o, Projection gateUp, Projection down) {}

  /** Hidden size plus at least one padding column, rounded up to 16 values (aligned rows). */
  static int paddedHidden(int hidden) {
    return (hidden / 16 + 1) * 16;
  }

  /** Validates the checkpoint against the config, then loads every tensor once. */
  static DecoderWeights load(ModelConfig c, Checkpoint ckpt, NDManager manager, ComputeDevice device) {
    new WeightSchema(c).validate(ckpt);
    DeviceTensorLoader loader = new DeviceTensorLoader(ckpt, manager, device);
    float qScale = (float) (1.0 / Math.sqrt(c.headDim()));
    int h = c.hiddenSize();
    int hp = paddedHidden(h);
    int hd = c.headDim();
    int nKv = c.numKvHeads();
    int g = c.groupSize();
    int qkvOut = (c.numHeads() + 2 * nKv) * hd;
    boolean qkNormed = c.architecture().qkNorm();
    float projScale = qkNormed ? 1f : qScale;
    float sqrtH = (float) Math.sqrt(h);
    int[] mirror = mirrorOrder(hd);

    // Input-major chunks are the fp32 CPU layout; fp16 (CUDA, or a CPU device in tests of the CUDA path)
    // keeps HF's (out, in) layout for linear.
    boolean inputMajor = !device.isGpu() && device.dataType() == ai.djl.ndarray.types.DataType.FLOAT32;
    // cpu-bf16 with tied embeddings: the embedding is the vocab head's bf16 matrix (rows gathered in bf16
    // become fp32 in the concat with the padding columns), so no fp32 embedding is loaded at all
    boolean embeddingIsBf16Head = c.tieWordEmbeddings() && inputMajor && bf16(loader, (long) c.vocabSize() * h);
    NDArray embedding = embeddingIsBf16Head ? null : loader.load(ckpt.require(EMBED));
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < c.numLayers(); i++) {
      float[] inNorm = scaled(loader.floats(ckpt.require(layer(i, INPUT_NORM))), sqrtH);
      float[] postNorm = scaled(loader.floats(ckpt.require(layer(i, POST_NORM))), sqrtH);
      float[] q = loader.floats(ckpt.require(layer(i, Q + ".weight")));
      float[] k = loader.floats(ckpt.require(layer(i, K + ".weight")));
      float[] v = loader.floats(ckpt.require(layer(i, V + ".weight")));
      float[] qkv = grouped(c, mirror, q, k, v, h, projScale);
      NDArray qkvBias = null;
      if (c.architecture().qkvBias()) {
        qkvBias = loader.fromVector(grouped(c, mirror, loader.floats(ckpt.require(layer(i, Q + ".bias"))),
            loader.floats(ckpt.require(layer(i, K + ".bias"))), loader.floats(ckpt.require(layer(i, V + ".bias"))),
            1, projScale));
      }
      NDArray qkNorm = null;
      if (qkNormed) {
        float[] qn = loader.floats(ckpt.require(layer(i, Q_NORM)));
        float[] kn = loader.floats(ckpt.require(layer(i, K_NORM)));
        // (nKv, g + 2, hd) like the grouped heads: g query heads, the key head, then zeros for the value
        // head (its rows bypass the norm); sqrt(hd) makes x/‖x‖ the RMS-normalised x (DecoderModel.qkNorm).
        float sqrtHd = (float) Math.sqrt(hd);
        float[] w = new float[nKv * (g + 2) * hd];
        for (int j = 0; j < nKv; j++) {
          for (int s = 0; s <= g; s++) {
            for (int d = 0; d < hd; d++) {
              w[(j * (g + 2) + s) * hd + d] = (s < g ? qn[mirror[d]] * qScale : kn[mirror[d]]) * sqrtHd;
            }
          }
        }
        qkNorm = loader.fromVector(w).reshape(nKv, g + 2, hd);
      }
      NDArray oBias = null;
      if (c.architecture().outputBias()) {
        oBias = loader.fromVector(padded(loader.floats(ckpt.require(layer(i, O + ".bias"))), hp));
      }
      float[] gateUp = concat(loader.floats(ckpt.require(layer(i, GATE))), loader.floats(ckpt.require(layer(i, UP))));
      int inter = c.intermediateSize();
      layers.add(new Layer(
          project(loader, inputMajor, normedInputs(qkv, qkvOut, h, hp, inNorm), qkvOut, hp, qkvBias),
          qkNorm,
          project(loader, inputMajor, paddedOutputs(loader.floats(ckpt.require(layer(i, O + ".weight"))), h, hp,
              c.numHeads() * hd), hp, c.numHeads() * hd, oBias),
          project(loader, inputMajor, normedInputs(gateUp, 2 * inter, h, hp, postNorm), 2 * inter, hp, null),
          project(loader, inputMajor, paddedOutputs(loader.floats(ckpt.require(layer(i, DOWN))), h, hp, inter),
              hp, inter, null)));
    }
    NDArray finalNorm = loader.fromVector(padded(scaled(loader.floats(ckpt.require(FINAL_NORM)), sqrtH), hp));
    // Tied embeddings: the output projection is the embedding matrix. On GPU it is the same array; on
    // CPU the input-major copy costs vocab × hidden floats and buys the faster GEMM on the hottest matmul.
    Projection lmHead;
    if (c.tieWordEmbeddings() && !inputMajor) {
      lmHead = Projection.of(List.of(embedding), false, null);
    } else {
      TensorEntry head = ckpt.require(c.tieWordEmbeddings() ? EMBED : LM_HEAD);
      if (inputMajor) {
        int vocab = Math.toIntExact(head.shape()[0]);
        lmHead = project(loader, true, loader.floats(head), vocab, h, null);
      } else {
        lmHead = Projection.of(List.of(loader.load(head)), false, null);
      }
    }
    if (embeddingIsBf16Head) embedding = lmHead.bf16();
    float constant = (float) Math.sqrt(h * c.rmsNormEps());
    return new DecoderWeights(embedding, List.copyOf(layers), finalNorm, lmHead, h, hp, constant);
  }

  /**
   * Head-dim order of a roped head: the first half as is, the second half reversed. Element i's
   * rotate-half partner (i ± hd/2) then sits at hd − 1 − i.
   */
  static int[] mirrorOrder(int hd) {
    int half = hd / 2;
    int[] order = new int[hd];
    for (int i = 0; i < half; i++) order[i] = i;
    for (int j = 0; j < half; j++) order[half + j] = hd - 1 - j;
    return order;
  }

  /**
   * q/k/v rows (each (heads·hd, width)) regrouped per KV head: g query heads, the key head, the value
   * head; query and key heads in mirrored dim order; query rows multiplied by {@code qScale}.
   */
  private static float[] grouped(ModelConfig c, int[] mirror, float[] q, float[] k, float[] v, int width, float qScale) {
    int hd = c.headDim();
    int g = c.groupSize();
    float[] out = new float[q.length + k.length + v.length];
    int at = 0;
    for (int j = 0; j < c.numKvHeads(); j++) {
      for (int qh = j * g; qh < (j + 1) * g; qh++) {
        for (int d = 0; d < hd; d++) at = copyRow(q, (qh * hd + mirror[d]) * width, width, qScale, out, at);
      }
      for (int d = 0; d < hd; d++) at = copyRow(k, (j * hd + mirror[d]) * width, width, 1f, out, at);
      for (int d = 0; d < hd; d++) at = copyRow(v, (j * hd + d) * width, width, 1f, out, at);
    }
    return out;
  }

  private static int copyRow(float[] src, int from, int width, float scale, float[] dst, int at) {
    for (int x = 0; x < width; x++) dst[at + x] = src[from + x] * scale;
    return at + width;
  }

  /** (out, h) rows → (out, hp): each input column scaled by its norm weight, padding inputs zero. */
  private static float[] normedInputs(float[] w, int out, int h, int hp, float[] norm) {
    float[] r = new float[out * hp];
    for (int o = 0; o < out; o++) {
      for (int x = 0; x < h; x++) r[o * hp + x] = w[o * h + x] * norm[x];
    }
    return r;
  }

  /** (h, in) rows → (hp, in): padding outputs zero. */
  private static float[] paddedOutputs(float[] w, int h, int hp, int in) {
    float[] r = new float[hp * in];
    System.arraycopy(w, 0, r, 0, h * in);
    return r;
  }

  private static float[] padded(float[] v, int hp) {
    return java.util.Arrays.copyOf(v, hp);
  }

  private static float[] scaled(float[] v, float s) {
    float[] r = new float[v.length];
    for (int i = 0; i < v.length; i++) r[i] = v[i] * s;
    return r;
  }

  private static float[] concat(float[] a, float[] b) {
    float[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static Projection project(DeviceTensorLoader loader, boolean inputMajor, float[] w, int out, int in,
      NDArray bias) {
    if (bf16(loader, (long) out * in)) {
      NDArray fp32 = loader.fromRows(w, out, in);
      NDArray rounded = BFloat16.cast(fp32, fp32.getManager());
      fp32.close();
      return Projection.bf16(rounded, out, in, bias);
    }
    short[] halves = inputMajor && halfGemv(loader, (long) out * in) ? halfBits(w) : null;
    if (halves != null) w = valuesOf(halves); // the fp32 path holds the fp16 copy's values
    List<NDArray> weights = inputMajor ? loader.inputMajor(w, out, in, Projection.CPU_CHUNK)
        : List.of(loader.fromRows(w, out, in));
    Projection p = Projection.of(weights, inputMajor, bias);
    return halves == null ? p : p.withHalf(loader.halfRows(halves, out, in));
  }

  /**
   * Whether a CPU projection of {@code values} weights also gets an fp16 copy for narrow steps: when the
   * device asks for fp16 GEMV and the matrix is large enough to be bandwidth-bound
   * ({@link Projection#PARALLEL_GEMM_BYTES}); small ones are op-bound and keep one fp32 path.
   */
  private static boolean halfGemv(DeviceTensorLoader loader, long values) {
    return loader.device().halfGemv() && values * Float.BYTES >= Projection.PARALLEL_GEMM_BYTES;
  }

  /**
   * Whether a CPU projection of {@code values} weights is held as bf16 only: on the {@code cpu-bf16} device,
   * when the matrix is large enough for the GEMM to outweigh the cast of its input
   * ({@link Projection#PARALLEL_GEMM_BYTES}); small ones keep the fp32 path.
   */
  private static boolean bf16(DeviceTensorLoader loader, long values) {
    return loader.device().bf16Weights() && values * Float.BYTES >= Projection.PARALLEL_GEMM_BYTES;
  }

  /** Every value of w rounded to the nearest fp16, as fp16 bits. */
  private static short[] halfBits(float[] w) {
    short[] r = new short[w.length];
    for (int i = 0; i < w.length; i++) r[i] = DType.floatToF16(w[i]);
    return r;
  }

  /** fp16 bits as the fp32 values they stand for (exact). */
  private static float[] valuesOf(short[] halves) {
    float[] r = new float[halves.length];
    for (int i = 0; i < halves.length; i++) r[i] = DType.f16ToFloat(halves[i]);
    return r;
  }
}
