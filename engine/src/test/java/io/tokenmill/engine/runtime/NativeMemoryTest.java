package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 3,000 decode steps do not grow native memory: every step's arrays die with its scope (the count of
 * live arrays under the model is constant) and the process's resident memory outside the Java heap stays flat.
 */
class NativeMemoryTest {

  @TempDir Path tmp;

  @Test
  void decodeStepsDoNotLeak() throws IOException {
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen3", c -> c.addProperty("max_position_embeddings", 4096));
    int steps = 3000;
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu());
        KvCache cache = model.newKvCache(2 * (steps + 32) / 16 + 2, 16, steps + 32)) {
      int[][] tables = cache.contiguousTables(2, steps + 32);
      int[] last = {1, 2};
      try (StepResult r = model.forward(cache, new StepBatch(tables, new int[] {0, 0}, new int[][] {{1, 5, 6}, {2}}))) {
        last = r.argmax();
      }
      int[] starts = {3, 1};
      long arraysAfterWarmup = 0;
      long rssAfterWarmup = 0;
      for (int s = 0; s < steps; s++) {
        try (StepResult r = model.forward(cache, StepBatch.decode(tables, starts, last))) {
          last = r.argmax();
        }
        // Contexts cycle through 3..512 so allocation sizes recur: growth would then be a leak, not the
        // allocator serving ever-larger attention buffers.
        starts[0] = starts[0] >= 512 ? 3 : starts[0] + 1;
        starts[1] = starts[1] >= 512 ? 1 : starts[1] + 1;
        if (s == 1000) { // allocator pools and JIT settle within the first ~1,000 steps
          arraysAfterWarmup = model.manager().getManagedArrays().size();
          rssAfterWarmup = nativeKb();
        }
      }
      long arraysAtEnd = model.manager().getManagedArrays().size();
      long rssGrowthMb = (nativeKb() - rssAfterWarmup) / 1024;
      System.out.printf("live arrays %d -> %d, RSS growth %d MB over %d steps%n", arraysAfterWarmup, arraysAtEnd,
          rssGrowthMb, steps - 1000);
      assertEquals(arraysAfterWarmup, arraysAtEnd, "arrays accumulated across steps");
      assertTrue(rssGrowthMb < 32, "resident memory grew by " + rssGrowthMb + " MB");
    }
  }

  /** Resident memory not explained by the Java heap (which grows with garbage and is not our concern). */
  private static long nativeKb() throws IOException {
    System.gc();
    return residentKb() - Runtime.getRuntime().totalMemory() / 1024;
  }

  private static long residentKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
    }
    return 0;
  }
}
