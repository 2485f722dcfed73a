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

  /** Tokens/s ceiling for a decode step of {@code batch} sequences: the tighter of the two bounds. */
  public double decodeTokensPerSecond(ModelConfig c, int batch, int bytesPerElement) {
    return Math.min(bandwidthBound(c, batch, bytesPerElement), computeBound(c));
  }

  public double bandwidthBound(ModelConfig c, int batch, int bytesPerElement) {
    return batch * readBytesPerSecond / weightBytesPerStep(c, bytesPerElement);
  }

  public double computeBound(ModelConfig c) {
    return matmulFlopsPerSecond / flopsPerToken(c);
  }
}
