package io.tokenmill.udfs.exec;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.runtime.ComputeDevice;
import org.junit.jupiter.api.Test;

/** Device choice on a machine whose libtorch sees no GPU (CI): auto falls back to CPU, gpu fails clearly. */
class DeviceChoiceTest {

  @Test
  void cpuOnlyMachine() {
    assertEquals(0, ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount(), "this test assumes no GPU");
    assertEquals(ComputeDevice.cpu(), DeviceChoice.resolve("auto", null));
    assertEquals(ComputeDevice.cpu(), DeviceChoice.resolve("auto", "0"), "a GPU address without a GPU: CPU");
    assertEquals(ComputeDevice.cpu(), DeviceChoice.resolve("cpu", "3"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeviceChoice.resolve("gpu", "0"));
    assertTrue(e.getMessage().contains("engine.device=gpu") && e.getMessage().contains("no GPU"), e.getMessage());
    IllegalArgumentException explicit = assertThrows(IllegalArgumentException.class,
        () -> DeviceChoice.resolve("gpu:1", null));
    assertTrue(explicit.getMessage().contains("GPU 1 requested"), explicit.getMessage());
  }
}
