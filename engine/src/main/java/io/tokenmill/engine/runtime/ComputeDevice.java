package io.tokenmill.engine.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import io.tokenmill.engine.weights.DType;

/**
 * Where a model runs and in which precision: fp32 on CPU (what the tests prove), fp16 on CUDA
 * (half the bytes per decode step; DJL 0.36 cannot create BFLOAT16 arrays itself, {@link BFloat16} is the
 * route the {@code cpu-bf16} device takes).
 *
 * <p>{@code halfGemv} (CPU only, device spec {@code cpu-f16}): large projections also keep an fp16 copy
 * of their weights, which steps of at most four token rows multiply through libtorch's fp16
 * matrix-vector kernel (half the bytes read, fp32 accumulation); the fp32 path of wider steps holds the
 * same fp16-rounded weights (docs/ENGINE.md, "cpu-f16"; docs/PERFORMANCE.md, "fp16 GEMV"). Costs 1.5x
 * the weight memory.
 *
 * <p>{@code bf16Weights} (CPU only, device spec {@code cpu-bf16}): large projections (and a tied
 * embedding) are stored as bf16 only, and every step multiplies by them through libtorch's bf16 GEMM
 * (oneDNN; fp32 accumulation, on CPUs with AVX-512 BF16 ~1.5x fp32 at 32 rows and ~2x for prefill) with
 * fp32 activations around it ({@link BFloat16}). Half the weight memory of {@code cpu}; logits within
 * ~1e-2 of fp32 (bf16 keeps 8 significant bits). Weights are rounded after the load-time rearrangement
 * (norm weights folded in, {@link DecoderWeights}), so even a bf16 checkpoint's are rounded once more.
 */
public record ComputeDevice(Device device, DataType dataType, boolean halfGemv, boolean bf16Weights) {

  public ComputeDevice {
    if ((halfGemv || bf16Weights) && (device.isGpu() || dataType != DataType.FLOAT32)) {
      throw new IllegalArgumentException("fp16 GEMV and bf16 weights are CPU fp32 options");
    }
    if (halfGemv && bf16Weights) throw new IllegalArgumentException("choose fp16 GEMV or bf16 weights, not both");
  }

  public ComputeDevice(Device device, DataType dataType) {
    this(device, dataType, false, false);
  }

  public static ComputeDevice cpu() {
    return new ComputeDevice(Device.cpu(), DataType.FLOAT32);
  }

  /** CPU, fp32, with fp16 copies of the large weights for steps of up to four token rows. */
  public static ComputeDevice cpuHalfGemv() {
    return new ComputeDevice(Device.cpu(), DataType.FLOAT32, true, false);
  }

  /** CPU, fp32 activations, large weights in bf16 multiplied by libtorch's bf16 GEMM. */
  public static ComputeDevice cpuBf16() {
    return new ComputeDevice(Device.cpu(), DataType.FLOAT32, false, true);
  }

  public static ComputeDevice gpu(int index) {
    int available = Engine.getInstance().getGpuCount();
    if (index < 0 || index >= available) {
      throw new IllegalArgumentException("GPU " + index + " requested but DJL sees " + available
          + " GPU(s); is a CUDA libtorch on the library path? (see docs/GPU.md)");
    }
    return new ComputeDevice(Device.gpu(index), DataType.FLOAT16);
  }

  /** Parses "cpu", "cpu-f16", "cpu-bf16", "gpu", "gpu:1" or "cuda:1"; "auto" picks GPU 0 when one exists. */
  public static ComputeDevice parse(String spec) {
    String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
    if (s.equals("cpu")) return cpu();
    if (s.equals("cpu-f16")) return cpuHalfGemv();
    if (s.equals("cpu-bf16")) return cpuBf16();
    if (s.equals("auto")) return Engine.getInstance().getGpuCount() > 0 ? gpu(0) : cpu();
    if (s.equals("gpu") || s.equals("cuda")) return gpu(0);
    if (s.startsWith("gpu:") || s.startsWith("cuda:")) {
      return gpu(Integer.parseInt(s.substring(s.indexOf(':') + 1)));
    }
    throw new IllegalArgumentException("device '" + spec + "' is not one of cpu, cpu-f16, cpu-bf16, auto, gpu, gpu:N, cuda:N");
  }

  /** The safetensors dtype weights are converted to while loading. */
  public DType storageType() {
    return dataType == DataType.FLOAT16 ? DType.F16 : DType.F32;
  }

  public boolean isGpu() {
    return device.isGpu();
  }

  @Override
  public String toString() {
    return device + "/" + dataType + (halfGemv ? "+f16 gemv" : "") + (bf16Weights ? "+bf16 weights" : "");
  }
}
