package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.generate.GreedyGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code cpu-f16} device: large projections also hold fp16 weights, which steps of at most
 * {@link Projection#HALF_GEMV_ROWS} rows multiply through libtorch's fp16 matrix-vector kernel, while
 * wider steps run the fp32 GEMM on the same (fp16-rounded) weights. The model is sized so that
 * gate/up, down and the vocab head get fp16 copies and q/k/v and o (under 1 MiB) do not.
 */
class HalfGemvForwardTest {

  @TempDir Path tmp;

  private Path model(boolean tied) {
    return ReducedPrecisionModels.write(tmp, tied);
  }

  private static final List<int[]> PROMPTS = ReducedPrecisionModels.PROMPTS;

  @Test
  void largeProjectionsGetHalfCopiesOnlyOnTheHalfGemvDevice() {
    Path dir = model(false);
    try (DecoderModel plain = DecoderModel.load(dir, ComputeDevice.cpu());
        DecoderModel half = DecoderModel.load(dir, ComputeDevice.parse("cpu-f16"))) {
      assertEquals(0, plain.halfProjections());
      assertEquals(2 * 2 + 1, half.halfProjections(), "gate/up and down of 2 layers, and the vocab head");
    }
  }

  /**
   * Alone, a prompt decodes on the fp16 path (one row per step, its prefill on the fp32 path); in a batch
   * of six every decode step takes the fp32 path. The paths share the weights but the fp16 one rounds its
   * input and output: logits agree within fp16 rounding (measured ~1e-3 relative), not bit for bit, so in
   * this mode a near-tie may resolve differently with the batch size; these prompts have none.
   */
  @Test
  void theFp16AndFp32PathsAgreeWithinFp16Rounding() {
    Path dir = model(true);
    int maxNew = 20;
    List<List<float[]>> aloneLogits = ReducedPrecisionModels.perPrompt();
    List<List<float[]>> batchLogits = ReducedPrecisionModels.perPrompt();
    try (DecoderModel half = DecoderModel.load(dir, ComputeDevice.cpuHalfGemv())) {
      assertTrue(PROMPTS.size() > Projection.HALF_GEMV_ROWS, "the batch must take the fp32 path");
      GreedyGenerator gen = new GreedyGenerator(half);
      List<int[]> together = gen.generate(PROMPTS, maxNew, new int[0], (seqs, r) -> {
        float[][] l = r.toFloatArrays();
        for (int j = 0; j < seqs.length; j++) batchLogits.get(seqs[j]).add(l[j]);
      });
      double worst = 0;
      for (int i = 0; i < PROMPTS.size(); i++) {
        int seq = i;
        int[] alone = gen.generate(List.of(PROMPTS.get(i)), maxNew, new int[0],
            (seqs, r) -> aloneLogits.get(seq).add(r.toFloatArrays()[0])).get(0);
        assertArrayEquals(alone, together.get(i), "prompt " + i + ": alone (fp16 GEMV) vs batched (fp32 GEMM)");
        for (int s = 0; s < maxNew; s++) {
          worst = Math.max(worst, relativeError(aloneLogits.get(i).get(s), batchLogits.get(i).get(s)));
        }
      }
      System.out.printf("fp16 GEMV vs fp32 GEMM: max relative logit difference %.2e%n", worst);
      assertTrue(worst <= 5e-3, "paths differ by " + worst);
      assertTrue(worst > 0, "alone and batched took the same path: the fp16 copies went unused");
    }
  }

  /** Against the float64 reference of the unrounded checkpoint: within fp16 rounding of weights and inputs. */
  @Test
  void logitsStayWithinFp16RoundingOfTheReference() {
    double worst = ReducedPrecisionModels.worstReferenceError(model(false), ComputeDevice.cpuHalfGemv(), 2, 10);
    System.out.printf("cpu-f16 vs float64 reference: max relative logit error %.2e%n", worst);
    assertTrue(worst <= 5e-3, "cpu-f16 logits off the reference by " + worst);
    assertTrue(worst > 1e-6, "no fp16 rounding visible: did the fp16 copies go unused? " + worst);
  }

  private static double relativeError(float[] a, float[] b) {
    double max = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return max / scale;
  }
}
