package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.tokenmill.engine.generate.GreedyGenerator;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.tokenizer.ChatMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CUDA code path — fp16 weights, activations and KV cache, weights in HF's (out, in) layout through
 * {@code linear}, norms taken in fp32 — run on the CPU, where CI can run it: the tiny reasoner in fp16
 * must give the fp32 engine's logits within fp16 rounding and the same greedy continuations. CI has no
 * GPU; without this test that path would first run on one.
 */
class HalfPrecisionForwardTest {

  static final Path TINY = Path.of("..", "data-samples", "models", "tiny-reasoner");

  @Test
  void fp16WithTheGpuLayoutMatchesFp32() {
    ModelDir md = ModelDir.open(TINY);
    ComputeDevice half = new ComputeDevice(Device.cpu(), DataType.FLOAT16);
    List<int[]> prompts = new ArrayList<>();
    // Arithmetic prompts as the tokenizer writes them: a few distinct problems of different lengths.
    for (String p : List.of("What is 482 + 917?", "What is 70315 - 2896?", "What is 36 * 47?",
        "How many times does the digit 3 appear in 3033130?")) {
      String text = md.tokenizer().chatTemplate().orElseThrow()
          .render(List.of(new ChatMessage("user", p)), true, true);
      prompts.add(md.tokenizer().encode(text));
    }
    try (DecoderModel f32 = DecoderModel.load(md.config(), TINY, ComputeDevice.cpu());
        DecoderModel f16 = DecoderModel.load(md.config(), TINY, half)) {
      List<float[]> full = new ArrayList<>();
      List<float[]> reduced = new ArrayList<>();
      List<int[]> a = new GreedyGenerator(f32).generate(prompts, 40, new int[0], (s, r) -> {
        if (full.isEmpty()) full.add(r.logits().toType(DataType.FLOAT32, false).toFloatArray());
      });
      List<int[]> b = new GreedyGenerator(f16).generate(prompts, 40, new int[0], (s, r) -> {
        if (reduced.isEmpty()) reduced.add(r.logits().toType(DataType.FLOAT32, false).toFloatArray());
      });
      float[] x = full.get(0);
      float[] y = reduced.get(0);
      double maxAbs = 0;
      double maxErr = 0;
      for (int i = 0; i < x.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(x[i]));
        maxErr = Math.max(maxErr, Math.abs(x[i] - y[i]));
      }
      System.out.printf("fp16 vs fp32 prefill logits: max |error| %.4f over max |logit| %.2f%n", maxErr, maxAbs);
      assertTrue(maxErr <= 0.02 * maxAbs, "fp16 logits off by " + maxErr + " (max |logit| " + maxAbs + ")");
      for (int i = 0; i < prompts.size(); i++) {
        assertArrayEquals(a.get(i), b.get(i), "prompt " + i + ": greedy continuation in fp16");
      }
    }
  }
}
