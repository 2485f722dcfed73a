package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/**
 * A linear layer {@code y = x·Wᵀ + b} with its weight in the layout the device multiplies fastest.
 *
 * <p>On CPU the weight is stored input-major (in, out) and split into column chunks of at most
 * {@link #CPU_CHUNK} outputs, each applied with {@code matMul} and the pieces concatenated: libtorch's
 * MKL streams a skinny activation against an input-major matrix up to ~2× faster than against HF's
 * (out, in) layout, and wide matrices (gate/up, the vocab head) run ~1.3-1.6× faster in pieces whose
 * output stays in cache (docs/PERFORMANCE.md). On GPU the HF layout goes through one fused
 * {@code linear} (addmm), which cuBLAS handles without either trick.
 */
record Projection(List<NDArray> weights, NDArray bias, boolean inputMajor) {

  /** Widest column chunk of a CPU projection. */
  static final int CPU_CHUNK = 2048;

  /**
   * libtorch intra-op threads for GEMMs. In steps with few token rows everything else runs on one thread:
   * forking OpenMP for a tiny op costs more than the op (measured: decode steps 16-17% faster at batch
   * 1 and 8 on 2 cores, docs/PERFORMANCE.md). Default: {@code ai.djl.pytorch.num_threads}, else cores.
   */
  static final int GEMM_THREADS = Integer.getInteger("tokenmill.gemm_threads",
      Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));

  /** Applies the projection; with {@code narrowStep}, small ops around it run single-threaded. */
  NDArray apply(NDArray x, boolean narrowStep) {
    if (!narrowStep || GEMM_THREADS <= 1) return multiply(x);
    JniUtils.setNumThreads(GEMM_THREADS);
    try {
      return multiply(x);
    } finally {
      JniUtils.setNumThreads(1);
    }
  }

  /** Sets the thread count the step's non-GEMM ops run with. */
  static void beginStep(boolean narrowStep) {
    if (GEMM_THREADS > 1) JniUtils.setNumThreads(narrowStep ? 1 : GEMM_THREADS);
  }

  private NDArray multiply(NDArray x) {
    if (!inputMajor) {
      return JniUtils.linear((PtNDArray) x, (PtNDArray) weights.get(0), (PtNDArray) bias);
    }
    NDArray y;
    if (weights.size() == 1) {
      y = x.matMul(weights.get(0));
    } else {
      NDList parts = new NDList(weights.size());
      for (NDArray w : weights) parts.add(x.matMul(w));
      y = NDArrays.concat(parts, -1);
    }
    return bias == null ? y : y.add(bias);
  }
}
