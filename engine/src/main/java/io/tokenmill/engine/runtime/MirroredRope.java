package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.tokenmill.engine.model.ModelConfig;
import java.nio.ByteBuffer;

/**
 * RoPE for the forward's grouped layout: q/k heads stored with the second half of their dims reversed
 * ({@link DecoderWeights#mirrorOrder}), so that HF's rotate-half is {@code x·cos + flip(x)·sin} with
 * cos and (signed) sin tables in the same mirrored order. The value head of each KV group rides along
 * with cos 1 and sin 0, so one multiply-add rotates a layer's queries and keys and leaves values alone:
 * three ops and a flip per layer.
 */
final class MirroredRope {

  private final ModelConfig config;
  private final NDManager manager;
  private final DataType dtype;
  private final double[] invFreq;
  private NDArray cos;
  private NDArray sin;
  private int length;
  /** cos and sin as direct buffers for {@link NativeKernels}, when the tables are CPU fp32; else null. */
  private ByteBuffer[] nativeTables;

  MirroredRope(ModelConfig config, NDManager manager, DataType dtype) {
    this.config = config;
    this.manager = manager;
    this.dtype = dtype;
    this.invFreq = Rope.inverseFrequencies(config);
  }

  /** Makes sure tables cover positions [0, len). Tables live as long as the model. */
  synchronized void ensure(int len) {
    if (len <= length) return;
    int hd = config.headDim();
    int half = hd / 2;
    Rope.checkTableSize(config, len);
    float[] c = new float[len * hd];
    float[] s = new float[len * hd];
    for (int p = 0; p < len; p++) {
      for (int i = 0; i < half; i++) {
        double angle = p * invFreq[i];
        float cs = (float) Math.cos(angle);
        float sn = (float) Math.sin(angle);
        // dim i (first half) pairs with dim i + half, stored mirrored at hd - 1 - i
        c[p * hd + i] = cs;
        s[p * hd + i] = -sn;
        c[p * hd + hd - 1 - i] = cs;
        s[p * hd + hd - 1 - i] = sn;
      }
    }
    if (cos != null) {
      cos.close();
      sin.close();
    }
    cos = manager.create(c, new Shape(len, hd)).toType(dtype, false);
    sin = manager.create(s, new Shape(len, hd)).toType(dtype, false);
    length = len;
    nativeTables = cos.getDevice().isGpu() || dtype != DataType.FLOAT32 ? null
        : new ByteBuffer[] {JniUtils.getByteBuffer((PtNDArray) cos, true), JniUtils.getByteBuffer((PtNDArray) sin, true)};
  }

  /** {cos, sin} (length, hd) as direct fp32 buffers, and their length; null when not CPU fp32. */
  synchronized ByteBuffer[] nativeTables() {
    return nativeTables;
  }

  synchronized int length() {
    return length;
  }

  /**
   * cos and sin for the given positions shaped (N, 1, g + 2, hd): the g query heads and the key head of
   * a KV group rotate, its value head gets cos 1, sin 0. Broadcasts over the KV groups.
   */
  NDArray[] tables(NDArray positions, int n, NDManager step) {
    int hd = config.headDim();
    int rotated = config.groupSize() + 1;
    Shape one = new Shape(n, 1, 1, hd);
    Shape many = new Shape(n, 1, rotated, hd);
    NDArray c = Views.reshape(Views.rows(cos, positions), one.getShape()).broadcast(many);
    NDArray s = Views.reshape(Views.rows(sin, positions), one.getShape()).broadcast(many);
    NDArray ones = step.ones(one, dtype);
    NDArray zeros = step.zeros(one, dtype);
    return new NDArray[] {NDArrays.concat(new NDList(c, ones), 2), NDArrays.concat(new NDList(s, zeros), 2)};
  }
}
