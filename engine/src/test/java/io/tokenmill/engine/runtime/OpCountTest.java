package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tokenmill.engine.generate.GreedyGenerator;
import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DecoderModel#countOps}: the DJL ops a decode step issues per layer, against a count made by
 * reading {@code DecoderModel.layer} (the reference), the same at every batch size, for every layer.
 *
 * <p>Per layer of a decode step (one attention group; contexts padded to whole KV blocks, so masked):
 * input norm 1 (normalize of the padded residual stream; the weight is in the next GEMM), qkv GEMM 1 (bias
 * in the addmm), reshape to KV groups 1, [Qwen3: per-head RMSNorm 3 (normalize of every head, ×√hd·w,
 * a where that keeps the value heads as they were)], RoPE 4 (flip, ×cos, ×sin, +), query and key|value
 * slices 2, K/V cache write 1 (one in-place index_put), attention 10 (key and value block gathers 2, each
 * reshaped to (B, nKv, L, hd) 2, Kᵀ view, q·Kᵀ, mask add, softmax, ·V, reshape to heads), o GEMM with the residual as its bias 1, post
 * norm 1, gate|up GEMM 1 (one per 2048-column chunk, + a concat when chunked), two slices 2, SiLU and
 * product 3 (sigmoid, ×, ×up), down GEMM with the residual 1. Qwen2 without chunking: 29 (55 before issue
 * 10; 27 with token-row gathers, sessions 9–13); Qwen3: 32 (60).
 *
 * <p>With native decode attention ({@link NativeKernels}, the CPU default where the kernels are built), RoPE,
 * the slices, the cache write and attention (17 ops) are one kernel call and the array wrapping its output:
 * Qwen2 14, Qwen3 17.
 *
 * <p>With native decode layers ({@link NativeDecoder}, the CPU default over the kernels), a narrow step's
 * embedding, layers and final norm are one kernel call: no DJL op inside the layers; outside them the call and
 * the vocab head.
 */
class OpCountTest {

  @TempDir Path tmp;

  @Test
  void tinyReasonerDecodeStepIssues29OpsPerLayer() {
    Path dir = Path.of("..", "data-samples", "models", "tiny-reasoner");
    assertEquals(List.of(29L), decodeOpsPerLayer(dir, 1, false, false));
    assertEquals(List.of(29L), decodeOpsPerLayer(dir, 3, false, false));
  }

  @Test
  void qwen3DecodeStepIssues32OpsPerLayer() throws Exception {
    assertEquals(List.of(32L), decodeOpsPerLayer(qwen3(), 2, false, false));
  }

  @Test
  void nativeDecodeAttentionLeaves14OpsPerQwen2Layer() {
    assumeTrue(NativeKernels.available(), NativeKernels.status());
    Path dir = Path.of("..", "data-samples", "models", "tiny-reasoner");
    assertEquals(List.of(14L), decodeOpsPerLayer(dir, 1, true, false));
    assertEquals(List.of(14L), decodeOpsPerLayer(dir, 3, true, false));
  }

  @Test
  void nativeDecodeAttentionLeaves17OpsPerQwen3Layer() throws Exception {
    assumeTrue(NativeKernels.available(), NativeKernels.status());
    assertEquals(List.of(17L), decodeOpsPerLayer(qwen3(), 2, true, false));
  }

  @Test
  void nativeDecodeLayersLeaveNoOpsInTheLayersAndTwoOutside() throws Exception {
    assumeTrue(NativeKernels.available(), NativeKernels.status());
    Path dir = Path.of("..", "data-samples", "models", "tiny-reasoner");
    List<Long> other = new ArrayList<>();
    assertEquals(List.of(0L), decodeOpsPerLayer(dir, 3, true, true, false, other));
    assertEquals(List.of(0L), decodeOpsPerLayer(qwen3(), 2, true, true, false, other));
    assertEquals(List.of(2L), other, "the native call and the vocab head's GEMM");
  }

  @Test
  void aNativeHeadLeavesOneOpAStepTheCallItself() throws Exception {
    assumeTrue(NativeKernels.available(), NativeKernels.status());
    Path dir = Path.of("..", "data-samples", "models", "tiny-reasoner");
    List<Long> other = new ArrayList<>();
    assertEquals(List.of(0L), decodeOpsPerLayer(dir, 3, true, true, true, other));
    assertEquals(List.of(0L), decodeOpsPerLayer(qwen3(), 2, true, true, true, other));
    assertEquals(List.of(1L), other, "the native call: layers, vocab head and greedy choice");
  }

  private Path qwen3() throws Exception {
    Path out = tmp.resolve("q3");
    ModelMaker.make(Path.of("..", "conf", "models", "qwen3-0.6b"), out,
        new ModelMaker.Options(9, DType.F32, Map.of("num_hidden_layers", "2", "vocab_size", "600",
            "hidden_size", "64", "intermediate_size", "128", "num_attention_heads", "4", "num_key_value_heads", "2",
            "head_dim", "16", "max_position_embeddings", "2048"), null, 1L << 30, false));
    return out;
  }

  @Test
  void countingIsOffByDefault() {
    Path dir = Path.of("..", "data-samples", "models", "tiny-reasoner");
    try (DecoderModel model = DecoderModel.load(ModelDir.open(dir).config(), dir, ComputeDevice.cpu())) {
      List<StepResult.Ops> seen = new ArrayList<>();
      new GreedyGenerator(model).generate(List.of(new int[] {5, 6, 7}), 3, new int[0], (s, r) -> seen.add(r.ops()));
      assertEquals(3, seen.size());
      seen.forEach(o -> assertNull(o));
    }
  }

  /** Distinct per-layer op counts over the decode steps of a greedy run of {@code batch} equal-length prompts. */
  private static List<Long> decodeOpsPerLayer(Path dir, int batch, boolean nativeAttention, boolean nativeLayers) {
    return decodeOpsPerLayer(dir, batch, nativeAttention, nativeLayers, false, new ArrayList<>());
  }

  /** ... (native layers with the vocab head native or not), with the distinct counts of ops outside the layers added to {@code otherOps}. */
  private static List<Long> decodeOpsPerLayer(Path dir, int batch, boolean nativeAttention, boolean nativeLayers,
      boolean nativeHead, List<Long> otherOps) {
    ModelDir md = ModelDir.open(dir);
    try (DecoderModel model = DecoderModel.load(md.config(), dir, ComputeDevice.cpu())) {
      model.countOps(true);
      model.useNativeAttention(nativeAttention);
      model.useNativeLayers(nativeLayers);
      if (nativeLayers) model.useNativeHead(nativeHead);
      List<int[]> prompts = new ArrayList<>();
      for (int b = 0; b < batch; b++) prompts.add(new int[] {10 + b, 20, 30, 40, 50});
      List<Long> perLayer = new ArrayList<>();
      int[] steps = {0};
      new GreedyGenerator(model).generate(prompts, 6, new int[0], (seqs, r) -> {
        if (steps[0]++ == 0) return; // the prefill
        StepResult.Ops ops = r.ops();
        assertEquals(md.config().numLayers(), ops.layers());
        assertEquals(0, ops.layerOps() % ops.layers(), "every layer issues the same ops");
        assertTrue(ops.otherOps() > 0);
        long n = ops.layerOps() / ops.layers();
        if (!perLayer.contains(n)) perLayer.add(n);
        if (!otherOps.contains(ops.otherOps())) otherOps.add(ops.otherOps());
      });
      assertEquals(6, steps[0]);
      return perLayer;
    }
  }
}
