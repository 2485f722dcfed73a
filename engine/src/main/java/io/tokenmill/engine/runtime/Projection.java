package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/**
 * A linear layer {@code y = x·Wᵀ + b (+ residual)} with its weight in the layout the device multiplies
 * fastest.
 *
 * <p>On CPU the weight is stored input-major (in, out) and split into column chunks of at most
 * {@link #CPU_CHUNK} outputs: libtorch's MKL streams a skinny activation against an input-major matrix up
 * to ~2× faster than against HF's (out, in) layout, and wide matrices (gate/up, the vocab head) run
 * ~1.3-1.6× faster in pieces whose output stays in cache (docs/PERFORMANCE.md). On GPU the weight keeps
 * HF's layout. Either way an unchunked projection is one {@code linear} call: libtorch turns a 2-D input
 * with a bias into one addmm, and the bias may be a whole (N, out) array — the residual stream — so
 * "project and add the residual" is one op.
 *
 * @param weights the stored matrices: one (out, in) on GPU, or (in, out) chunks on CPU
 * @param linearWeight the (out, in) operand of {@code linear} when unchunked (on CPU a transposed view of
 *     the one input-major chunk), null when chunked
 * @param weightBytes size of the stored matrices (decides threads, {@link #PARALLEL_GEMM_BYTES})
 */
record Projection(List<NDArray> weights, NDArray linearWeight, NDArray bias, long weightBytes, NDArray half,
    NDArray bf16) {

  /** Widest column chunk of a CPU projection. */
  static final int CPU_CHUNK = 2048;

  static Projection of(List<NDArray> weights, boolean inputMajor, NDArray bias) {
    NDArray linear = weights.size() != 1 ? null : inputMajor ? weights.get(0).transpose() : weights.get(0);
    long bytes = 0;
    for (NDArray w : weights) bytes += w.getShape().size() * w.getDataType().getNumOfBytes();
    return new Projection(weights, linear, bias, bytes, null, null);
  }

  /**
   * A projection held only as a bf16 (out, in) array ({@link BFloat16}; the {@code cpu-bf16} device): every
   * step multiplies through libtorch's bf16 GEMM, activations stay fp32 outside it.
   */
  static Projection bf16(NDArray weight, long out, long in, NDArray bias) {
    return new Projection(List.of(), null, bias, out * in * 2, null, weight);
  }

  /**
   * A CPU projection that also holds its weight as fp16 (out, in), {@code half}, for steps of at most
   * {@link #HALF_GEMV_ROWS} rows; {@code weights} must hold the same (fp16-representable) values.
   */
  Projection withHalf(NDArray half) {
    return new Projection(weights, linearWeight, bias, weightBytes, half, bf16);
  }

  /**
   * With fp16 GEMV on, steps of at most this many rows multiply by the fp16 copy: libtorch's fp16
   * matrix-vector kernel streams half the bytes at ~2x fp32 MKL's rate on an AVX-512 CPU, but runs one
   * pass over the weights per row, so wider steps take the fp32 GEMM.
   */
  static final int HALF_GEMV_ROWS = Integer.getInteger("tokenmill.f16_gemv_rows", 4);

  /**
   * libtorch intra-op threads for GEMMs. In steps with few token rows everything else runs on one thread:
   * forking OpenMP for a tiny op costs more than the op (measured: decode steps 16-17% faster at batch
   * 1 and 8 on 2 cores, docs/PERFORMANCE.md). Default: {@code ai.djl.pytorch.num_threads}, else cores.
   */
  static final int GEMM_THREADS = Integer.getInteger("tokenmill.gemm_threads",
      Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));

  /**
   * In a narrow step, a projection whose weights are smaller than this runs on the step's one thread too:
   * waking a second thread for a sub-MB weight costs more than it saves (the tiny reasoner's decode steps
   * measured ~15% faster with single-threaded GEMMs; the 0.5B model's GEMVs ~1.3× faster on two threads).
   */
  static final long PARALLEL_GEMM_BYTES = Long.getLong("tokenmill.parallel_gemm_bytes", 1L << 20);

  /** Applies the projection; with {@code narrowStep}, small ops around it run single-threaded. */
  NDArray apply(NDArray x, boolean narrowStep) {
    return apply(x, narrowStep, null);
  }

  /** {@code x·Wᵀ + b + residual}; {@code residual} (N, out) may be null. */
  NDArray apply(NDArray x, boolean narrowStep, NDArray residual) {
    if (!narrowStep || GEMM_THREADS <= 1 || weightBytes() < PARALLEL_GEMM_BYTES) return multiply(x, residual);
    JniUtils.setNumThreads(GEMM_THREADS);
    try {
      return multiply(x, residual);
    } finally {
      JniUtils.setNumThreads(1);
    }
  }

  /** Sets the thread count the step's non-GEMM ops run with. */
  static void beginStep(boolean narrowStep) {
    if (GEMM_THREADS > 1) JniUtils.setNumThreads(narrowStep ? 1 : GEMM_THREADS);
  }

  private NDArray multiply(NDArray x, NDArray residual) {
    NDArray add = residual == null ? bias : bias == null ? residual : residual.add(bias);
    if (bf16 != null) { // one TorchScript call: cast to bf16, oneDNN GEMM, widen, add
      NDManager scope = x.getManager();
      return add == null ? BFloat16.linear(x, bf16, scope) : BFloat16.linearAdd(x, bf16, add, scope);
    }
    if (half != null && x.getShape().get(0) <= HALF_GEMV_ROWS) {
      // fp16 input, fp32 accumulation, fp16 output: the two paths share the (rounded) weights but differ
      // by the rounding of x and y, ~1e-3 relative (HalfGemvForwardTest)
      NDArray y = JniUtils.linear((PtNDArray) x.toType(DataType.FLOAT16, false), (PtNDArray) half, null)
          .toType(DataType.FLOAT32, false);
      return add == null ? y : y.add(add);
    }
    if (linearWeight != null) {
      return JniUtils.linear((PtNDArray) x, (PtNDArray) linearWeight, (PtNDArray) add);
    }
    NDList parts = new NDList(weights.size());
    for (NDArray w : weights) parts.add(x.matMul(w));
    NDArray y = NDArrays.concat(parts, -1);
    return add == null ? y : y.add(add);
  }
}
