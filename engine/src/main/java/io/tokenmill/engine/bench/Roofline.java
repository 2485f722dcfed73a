package io.tokenmill.engine.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.model.ModelConfig;

/**
 * This machine's ceilings, measured in the same process as the benchmark they judge, through the same
 * libtorch: streaming read bandwidth (a reduction over 1 GiB) and dense matmul throughput (2048³
 * GEMM), each the best of several runs. Decode at batch 1 is bound by reading every weight once per
 * step; at large batch by matmul FLOP/s.
 */
public record Roofline(double readBytesPerSecond, double matmulFlopsPerSecond) {

  public static Roofline measure(Device device, DataType dataType) {
    try (NDManager m = NDManager.newBaseManager(device)) {
      double bw = 0;
      try (NDArray big = m.ones(new Shape(256L << 20), dataType)) { // 1 GiB in fp32
        long bytes = big.size() * dataType.getNumOfBytes();
        for (int i = 0; i < 6; i++) {
          long t0 = System.nanoTime();
          try (NDArray s = big.sum()) {
            s.toFloatArray();
          }
          bw = Math.max(bw, bytes / ((System.nanoTime() - t0) / 1e9));
        }
      }
      double flops = 0;
      int n = 2048;
      try (NDArray a = m.randomNormal(new Shape(n, n)).toType(dataType, false)) {
        for (int i = 0; i < 6; i++) {
          long t0 = System.nanoTime();
          try (NDArray c = a.matMul(a)) {
            c.get(0, 0).toFloatArray();
          }
          flops = Math.max(flops, 2.0 * n * n * n / ((System.nanoTime() - t0) / 1e9));
        }
      }
      return new Roofline(bw, flops);
    }
  }

  /** Weight bytes read per decode step: every layer, the final norm and the output projection. */
  public static double weightBytesPerStep(ModelConfig c, int bytesPerElement) {
    long embed = (long) c.vocabSize() * c.hiddenSize();
    // The embedding lookup touches B rows only; the output projection reads a full vocab × hidden matrix.
    long read = c.parameterCount() - (c.tieWordEmbeddings() ? 0 : embed);
    return (double) read * bytesPerElement;
  }

  /** Matmul FLOPs per generated token: 2 per weight of every projection incl. the output head. */
  public static double flopsPerToken(ModelConfig c) {
    long embed = (long) c.vocabSize() * c.hiddenSize();
    long matmulParams = c.parameterCount() - (c.tieWordEmbeddings() ? 0 : embed);
    return 2.0 * matmulParams;
  }

  /**
   * KV-cache bytes one decode token reads at {@code context} cached tokens: keys and values of every
   * layer. At long contexts this, not the weights, is what a decode step reads (the tiny reasoner's
   * 2.7M weights are 11 MB; 16 sequences at 2,000 tokens hold 295 MB of fp32 KV).
   */
  public static double kvBytesPerToken(ModelConfig c, int context, int bytesPerElement) {
    return 2.0 * c.numLayers() * c.numKvHeads() * c.headDim() * (double) context * bytesPerElement;
  }

  /** Attention FLOPs per decode token at {@code context}: q·Kᵀ and P·V, 2 each per (query head, dim, key). */
  public static double attentionFlopsPerToken(ModelConfig c, int context) {
    return 4.0 * c.numLayers() * c.numHeads() * c.headDim() * (double) context;
  }

  /**
   * Tokens/s ceiling for a decode step of {@code batch} sequences at a mean of {@code context} cached
   * tokens: the tighter of the two bounds, each counting the weights once per step and every sequence's
   * KV cache (0 leaves the KV cache out).
   */
  public double decodeTokensPerSecond(ModelConfig c, int batch, int context, int bytesPerElement) {
    return decodeTokensPerSecond(c, batch, context, bytesPerElement, bytesPerElement);
  }

  /** As above, with weights read at {@code weightBytes} per element (fp16 copies) and the KV cache at {@code kvBytes}. */
  public double decodeTokensPerSecond(ModelConfig c, int batch, int context, int weightBytes, int kvBytes) {
    return Math.min(bandwidthBound(c, batch, context, weightBytes, kvBytes), computeBound(c, context));
  }

  public double bandwidthBound(ModelConfig c, int batch, int context, int bytesPerElement) {
    return bandwidthBound(c, batch, context, bytesPerElement, bytesPerElement);
  }

  public double bandwidthBound(ModelConfig c, int batch, int context, int weightBytes, int kvBytes) {
    double perStep = weightBytesPerStep(c, weightBytes) + batch * kvBytesPerToken(c, context, kvBytes);
    return batch * readBytesPerSecond / perStep;
  }

  public double computeBound(ModelConfig c, int context) {
    return matmulFlopsPerSecond / (flopsPerToken(c) + attentionFlopsPerToken(c, context));
  }
}
