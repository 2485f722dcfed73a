package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.model.ModelConfig;

/**
 * Rotary position embedding in the HF "rotate-half" convention: element i of a head pairs with element
 * i + headDim/2 (HF checkpoints are permuted for this; GGUF-style adjacent pairing would silently break
 * them). Applied as {@code x*cos + (x@R)*sin}, where R is the fixed signed permutation that maps
 * (x1, x2) to (-x2, x1): four ops for all query and key heads together.
 *
 * <p>Public so that training ({@code io.tokenmill.reasoner}) rotates with this very code: a model is
 * trained with the positions the engine will later apply.
 */
public final class Rope {

  /** Largest cos (and sin) table, in values: Java arrays are int-indexed. */
  static final long MAX_TABLE_ELEMENTS = 1L << 30;

  private final ModelConfig config;
  private final NDManager manager;
  private final double[] invFreq;
  private final NDArray rotate;
  private NDArray cos;
  private NDArray sin;
  private int length;

  public Rope(ModelConfig config, NDManager manager, ComputeDevice device) {
    this.config = config;
    this.manager = manager;
    this.invFreq = inverseFrequencies(config);
    int half = config.headDim() / 2;
    int hd = config.headDim();
    float[] r = new float[hd * hd]; // r[j * hd + i]: out[i] = sum_j x[j] * r[j][i]
    for (int i = 0; i < half; i++) {
      r[(i + half) * hd + i] = -1f; // out[i] = -x[i + half]
      r[i * hd + i + half] = 1f; // out[i + half] = x[i]
    }
    this.rotate = manager.create(r, new Shape(hd, hd)).toType(device.dataType(), false);
  }

  /** Angle per position of each rotated pair i < headDim/2 (θ^(−2i/hd), then the config's scaling). */
  static double[] inverseFrequencies(ModelConfig config) {
    int half = config.headDim() / 2;
    double[] inv = new double[half];
    for (int i = 0; i < half; i++) {
      double f = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim());
      inv[i] = config.ropeScaling() == null ? f : config.ropeScaling().scale(f);
    }
    return inv;
  }

  /** Refuses cos/sin tables for {@code len} positions that would not fit one int-indexed Java array. */
  static void checkTableSize(ModelConfig config, int len) {
    int hd = config.headDim();
    if ((long) len * hd > MAX_TABLE_ELEMENTS) {
      throw new IllegalArgumentException("RoPE tables for " + len + " positions of head_dim " + hd
          + " exceed " + MAX_TABLE_ELEMENTS + " values; lower engine.max_seq_len (the model's "
          + "max_position_embeddings is " + config.maxPositionEmbeddings() + ")");
    }
  }

  /** Makes sure tables cover positions [0, len). Tables live as long as the model. */
  public synchronized void ensure(int len) {
    if (len <= length) return;
    int hd = config.headDim();
    int half = hd / 2;
    checkTableSize(config, len);
    float[] c = new float[len * hd];
    float[] s = new float[len * hd];
    for (int p = 0; p < len; p++) {
      for (int i = 0; i < half; i++) {
        double angle = p * invFreq[i];
        c[p * hd + i] = c[p * hd + i + half] = (float) Math.cos(angle);
        s[p * hd + i] = s[p * hd + i + half] = (float) Math.sin(angle);
      }
    }
    if (cos != null) {
      cos.close();
      sin.close();
    }
    cos = manager.create(c, new Shape(len, hd)).toType(rotate.getDataType(), false);
    sin = manager.create(s, new Shape(len, hd)).toType(rotate.getDataType(), false);
    length = len;
  }

  /** cos and sin rows for the given positions, shaped (N, 1, hd) to broadcast over heads. */
  public NDArray[] tables(NDArray positions, int n, NDManager step) {
    NDIndex rows = new NDIndex("{}", positions);
    NDArray c = cos.get(step, rows);
    NDArray s = sin.get(step, rows);
    Shape shape = new Shape(n, 1, config.headDim());
    return new NDArray[] {c.reshape(shape), s.reshape(shape)};
  }

  /** x: (N, heads, hd) → rotated, same shape. */
  public NDArray apply(NDArray x, NDArray[] cosSin) {
    Shape shape = x.getShape();
    // A 2-D GEMM: libtorch's batched 3-D matmul path costs several times more for these tiny shapes.
    NDArray rotated = x.reshape(-1, config.headDim()).matMul(rotate).reshape(shape);
    return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
  }
}
