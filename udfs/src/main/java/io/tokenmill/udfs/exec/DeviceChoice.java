package io.tokenmill.udfs.exec;

import io.tokenmill.engine.runtime.ComputeDevice;

/**
 * Picks the compute device for an executor task from config key {@code engine.device} and the GPU
 * address the cluster manager assigned to the task (Spark's {@code TaskContext.resources().get("gpu")}).
 *
 * <ul>
 *   <li>{@code auto} (default): the assigned GPU if any; else GPU 0 when libtorch sees one; else CPU.
 *   <li>{@code gpu}: the assigned GPU, else GPU 0 — an error if libtorch sees no GPU.
 *   <li>{@code cpu}, {@code gpu:N}: exactly that.
 * </ul>
 */
public final class DeviceChoice {

  private DeviceChoice() {}

  public static ComputeDevice resolve(String spec, String assignedGpuAddress) {
    String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
    int gpus = s.equals("cpu") ? 0 : gpuCount();
    switch (s) {
      case "cpu":
        return ComputeDevice.cpu();
      case "auto":
        if (gpus == 0) return ComputeDevice.cpu();
        return ComputeDevice.gpu(assigned(assignedGpuAddress, gpus));
      case "gpu":
        if (gpus == 0) {
          throw new IllegalStateException("engine.device=gpu but libtorch sees no GPU on this executor "
              + "(CPU-only natives on the classpath? see docs/GPU.md)");
        }
        return ComputeDevice.gpu(assigned(assignedGpuAddress, gpus));
      default:
        return ComputeDevice.parse(s);
    }
  }

  private static int assigned(String address, int gpus) {
    if (address == null || address.isBlank()) return 0;
    try {
      int i = Integer.parseInt(address.trim());
      if (i < 0 || i >= gpus) {
        throw new IllegalStateException("Spark assigned GPU address " + address + " but libtorch sees " + gpus
            + " GPU(s); check the discovery script and CUDA_VISIBLE_DEVICES");
      }
      return i;
    } catch (NumberFormatException e) {
      throw new IllegalStateException("Spark assigned a GPU address that is not an index: '" + address + "'");
    }
  }

  private static int gpuCount() {
    return ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount();
  }
}
