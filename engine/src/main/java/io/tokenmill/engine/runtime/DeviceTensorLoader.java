package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.weights.Checkpoint;
import io.tokenmill.engine.weights.DType;
import io.tokenmill.engine.weights.TensorEntry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Turns checkpoint tensors, or weights rearranged in Java ({@link DecoderWeights}), into device arrays in
 * the compute dtype. Checkpoint reads go straight from the memory-mapped files into one direct buffer per
 * array; tensors over 1 GB are built in row blocks and concatenated on the device.
 */
final class DeviceTensorLoader {

  private static final long MAX_BLOCK_BYTES = 1L << 30;

  private final Checkpoint checkpoint;
  private final NDManager manager;
  private final ComputeDevice device;

  DeviceTensorLoader(Checkpoint checkpoint, NDManager manager, ComputeDevice device) {
    this.checkpoint = checkpoint;
    this.manager = manager;
    this.device = device;
  }

  /** Loads one tensor unchanged. */
  NDArray load(TensorEntry e) {
    long[] s = e.shape();
    long bytes = e.elementCount() * device.storageType().bytes();
    if (bytes <= MAX_BLOCK_BYTES || s.length < 2) {
      ByteBuffer buf = allocate(e.elementCount());
      checkpoint.read(e, 0, e.elementCount(), device.storageType(), buf);
      return toDevice(buf, new Shape(s));
    }
    long rowElems = e.elementCount() / s[0];
    long rowsPerBlock = Math.max(1, MAX_BLOCK_BYTES / (rowElems * device.storageType().bytes()));
    NDList blocks = new NDList();
    for (long r = 0; r < s[0]; r += rowsPerBlock) {
      long rows = Math.min(rowsPerBlock, s[0] - r);
      ByteBuffer buf = allocate(rows * rowElems);
      checkpoint.read(e, r * rowElems, rows * rowElems, device.storageType(), buf);
      long[] bs = s.clone();
      bs[0] = rows;
      blocks.add(toDevice(buf, new Shape(bs)));
    }
    NDArray whole = NDArrays.concat(blocks, 0);
    blocks.close();
    return whole;
  }

  /**
   * A weight built in Java, (out, in) row-major as in HF checkpoints, on the device in the compute dtype
   * and the same (out, in) layout (the GPU layout: {@code linear} multiplies it transposed).
   */
  NDArray fromRows(float[] w, long out, long in) {
    if (w.length != out * in) throw new IllegalStateException("weight of " + w.length + " values is not " + out + " x " + in);
    ByteBuffer buf = allocate(w.length);
    if (device.storageType() == DType.F32) {
      buf.asFloatBuffer().put(w);
      buf.position(buf.capacity());
    } else {
      for (float f : w) buf.putShort(DType.floatToF16(f));
    }
    return toDevice(buf, new Shape(out, in));
  }

  /**
   * fp16 bit patterns of a weight built in Java, (out, in) row-major, as an fp16 (out, in) array on the
   * (CPU) device, whatever the compute dtype: the fp16 copies of the {@code cpu-f16} device.
   */
  NDArray halfRows(short[] bits, long out, long in) {
    if (bits.length != out * in) throw new IllegalStateException("weight of " + bits.length + " values is not " + out + " x " + in);
    ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(bits.length * 2L)).order(ByteOrder.LITTLE_ENDIAN);
    buf.asShortBuffer().put(bits); // leaves buf's own position at 0
    return manager.create(buf, new Shape(out, in), ai.djl.ndarray.types.DataType.FLOAT16);
  }

  ComputeDevice device() {
    return device;
  }

  /** A vector built in Java, in the compute dtype. */
  NDArray fromVector(float[] v) {
    return fromRows(v, 1, v.length).reshape(v.length);
  }

  /**
   * A weight built in Java, (out, in) row-major, as an (in, out) fp32 matrix split into column chunks of
   * at most {@code maxChunk}: the input-major layout CPU matmul streams fastest for skinny activations, in
   * pieces whose output stays in cache. Transposed here, in tiles.
   */
  List<NDArray> inputMajor(float[] w, int out, int in, int maxChunk) {
    if (device.storageType() != DType.F32) {
      throw new IllegalStateException("input-major weights are a CPU (fp32) layout");
    }
    if (w.length != (long) out * in) throw new IllegalStateException("weight of " + w.length + " values is not " + out + " x " + in);
    float[] t = new float[Math.multiplyExact(in, out)]; // (in, out), row-major
    final int tile = 64;
    for (int r0 = 0; r0 < out; r0 += tile) {
      for (int c0 = 0; c0 < in; c0 += tile) {
        int rEnd = Math.min(out, r0 + tile);
        int cEnd = Math.min(in, c0 + tile);
        for (int c = c0; c < cEnd; c++) {
          int base = c * out;
          for (int r = r0; r < rEnd; r++) t[base + r] = w[r * in + c];
        }
      }
    }
    int chunks = (out + maxChunk - 1) / maxChunk;
    int chunkWidth = (out + chunks - 1) / chunks; // even pieces: 9728 → 5 × 1946, not 4 × 2048 + 1536
    List<NDArray> result = new java.util.ArrayList<>();
    for (int c0 = 0; c0 < out; c0 += chunkWidth) {
      int cw = Math.min(chunkWidth, out - c0);
      ByteBuffer buf = allocate((long) in * cw);
      java.nio.FloatBuffer dst = buf.asFloatBuffer();
      for (int r = 0; r < in; r++) dst.put(t, r * out + c0, cw);
      buf.position(buf.capacity());
      result.add(toDevice(buf, new Shape(in, cw)));
    }
    return result;
  }

  /** A checkpoint tensor as floats (any stored dtype). */
  float[] floats(TensorEntry e) {
    return checkpoint.readFloats(e);
  }

  private ByteBuffer allocate(long elements) {
    return ByteBuffer.allocateDirect(Math.toIntExact(elements * device.storageType().bytes()))
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  private NDArray toDevice(ByteBuffer buf, Shape shape) {
    buf.flip();
    NDArray a = manager.create(buf, shape, device.dataType());
    if (device.isGpu()) {
      // DJL keeps a reference to the host buffer it was created from; copy so the host memory can go.
      NDArray owned = a.duplicate();
      a.close();
      return owned;
    }
    // On CPU the array aliases the direct buffer (DJL holds it), so the weights live in memory once.
    return a;
  }
}
