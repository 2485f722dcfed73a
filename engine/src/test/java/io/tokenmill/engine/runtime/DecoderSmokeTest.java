package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.testing.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoderSmokeTest {
  @TempDir Path tmp;

  @Test
  void prefillThenDecodeProducesFiniteLogits() {
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen2", c -> {});
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu());
        KvCache cache = model.newKvCache(8, 16, 64)) {
      int[][] tables = {{3, 1}, {0, 5}};
      try (StepResult r = model.forward(cache, new StepBatch(tables, new int[] {0, 0},
          new int[][] {{5, 6, 7}, {8, 9}}))) {
        float[][] l = r.toFloatArrays();
        assertEquals(2, l.length);
        assertEquals(300, l[0].length);
        for (float f : l[0]) assertTrue(Float.isFinite(f));
      }
      try (StepResult r = model.forward(cache, StepBatch.decode(tables, new int[] {3, 2}, new int[] {10, 11}))) {
        assertEquals(2, r.argmax().length);
      }
    }
  }
}
