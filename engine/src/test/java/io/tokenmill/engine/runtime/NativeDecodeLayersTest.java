package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import io.tokenmill.engine.testing.TinyModels;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native step ({@link NativeDecoder}: embedding, every layer, final norm in one call) against the DJL path
 * with no native code at all: the same model, prompts and block tables, steps that mix prompt chunks with
 * decodes (continuous batching's usual step), every family (Qwen2's q/k/v bias, Llama, Qwen3's q/k norm),
 * and a step wide enough to be split by sequence across threads. Logits must agree to fp32 rounding and
 * greedy tokens exactly. The kernel's own checks refuse bad rows, naming them, with the cache untouched.
 */
class NativeDecodeLayersTest {

  @TempDir Path tmp;

  @Test
  void qwen2WithBiasAgreesWithTheDjlPath() {
    agree("qwen2", c -> {}, 4);
  }

  @Test
  void llamaOneKvHeadAgreesWithTheDjlPath() {
    agree("llama", c -> c.addProperty("num_key_value_heads", 1), 8);
  }

  @Test
  void qwen3QkNormAgreesWithTheDjlPath() {
    agree("qwen3", c -> c.addProperty("num_key_value_heads", 4), 16);
  }

  @Test
  void stepsSplitBySequenceAcrossThreadsAgreeWithTheDjlPath() {
    // 24 sequences on a model wide enough (hidden 256, 2 layers: ~2M multiply-adds a row) that a step passes
    // the kernels' threshold for splitting it by sequence; prompts of different lengths join at once.
    assumeTrue(NativeKernels.THREADS > 1, "one thread: no split");
    int[][] prompts = new int[24][];
    for (int i = 0; i < prompts.length; i++) prompts[i] = sequence(1 + 5 * i, 3 + i);
    agree("qwen2", c -> {
      c.addProperty("hidden_size", 256);
      c.addProperty("intermediate_size", 512);
      c.addProperty("num_attention_heads", 8);
      c.addProperty("num_key_value_heads", 4);
    }, 8, prompts, 24);
  }

  private void agree(String family, Consumer<JsonObject> tweak, int blockSize) {
    agree(family, tweak, blockSize, new int[][] {{17}, {3, 9, 27, 81, 243, 5, 15}, sequence(30, 7), sequence(61, 11),
        sequence(12, 5)}, 40);
  }

  /** Staggered joins and 6-token prompt chunks over shuffled blocks, then greedy decodes: both paths' logits. */
  private void agree(String family, Consumer<JsonObject> tweak, int blockSize, int[][] prompts, int steps) {
    assumeTrue(NativeKernels.available(), NativeKernels.status());
    Path dir = TinyModels.write(tmp.resolve(family), family, tweak);
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu())) {
      assertNotNull(model.nativeDecoder(), model.nativeLayersStatus());
      assertTrue(model.nativeHead(), "the vocab head runs natively on a plain fp32 model");
      List<float[][]> reference = run(model, false, true, prompts, steps, blockSize);
      // Native layers with the head in DJL, then with the head (and the greedy choice) in the same call.
      StaggeredSteps.assertAgree(family + ", head in DJL", reference, run(model, true, false, prompts, steps, blockSize));
      StaggeredSteps.assertAgree(family + ", native head", reference, run(model, true, true, prompts, steps, blockSize));
    }
  }

  /**
   * Sequence i joins at step i / 4 and feeds its prompt 6 tokens a step, then decodes greedily; blocks are dealt
   * out shuffled. With {@code nativeOn}, every step (all are narrow) runs in the native decoder, with the vocab
   * head too when {@code nativeHead} (StaggeredSteps then checks the native greedy choice against the logits).
   */
  private static List<float[][]> run(DecoderModel model, boolean nativeOn, boolean nativeHead, int[][] prompts, int steps,
      int bs) {
    int b = prompts.length;
    int perSeq = (Arrays.stream(prompts).mapToInt(p -> p.length).max().orElseThrow() + steps) / bs + 2;
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < b * perSeq; i++) ids.add(i);
    Collections.shuffle(ids, new Random(11));
    int[][] tables = new int[b][perSeq];
    for (int i = 0; i < b; i++) for (int j = 0; j < perSeq; j++) tables[i][j] = ids.get(i * perSeq + j);
    int[] joins = new int[b];
    for (int i = 0; i < b; i++) joins[i] = i / 4;
    model.useNativeAttention(nativeOn);
    model.useNativeLayers(nativeOn);
    model.useNativeHead(nativeHead);
    try (KvCache cache = model.newKvCache(b * perSeq, bs, perSeq * bs)) {
      return StaggeredSteps.run(model, cache, prompts, tables, joins, 6, steps);
    } finally {
      model.useNativeAttention(NativeKernels.available());
      model.useNativeLayers(model.nativeDecoder() != null);
      model.useNativeHead(true);
    }
  }

  @Test
  void refusesBadTokensBlocksAndPositionsNamingTheRowAndLeavesTheCacheAsItWas() {
    assumeTrue(NativeKernels.available(), NativeKernels.status());
    Path dir = TinyModels.write(tmp.resolve("refuse"), "qwen2", c -> {});
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu())) {
      NativeDecoder decoder = model.nativeDecoder();
      assertNotNull(decoder, model.nativeLayersStatus());
      int bs = 4;
      try (KvCache cache = model.newKvCache(6, bs, 16)) {
        ByteBuffer[] rope = model.ropeTablesForTests();
        int ropeLength = model.ropeLengthForTests();
        byte[] before = poolBytes(cache, model.config().numLayers());
        // Two sequences: rows 0-2 one prompt chunk (positions 0-2), row 3 a decode at position 5.
        int[] tokens = {5, 6, 7, 8};
        int[] positions = {0, 1, 2, 5};
        int[] outRows = {2, 3};
        int width = 2;
        int[] goodTables = {0, 1, 0, 1, 0, 1, 2, 3};

        int[] badToken = tokens.clone();
        badToken[3] = model.config().vocabSize();
        assertRefused(() -> decoder.step(cache, badToken, positions, goodTables, width, outRows, rope, ropeLength, 2, false),
            "row 3", "token id " + model.config().vocabSize());
        int[] badBlock = goodTables.clone();
        badBlock[7] = 6; // row 3's second block: past the cache's 6
        assertRefused(() -> decoder.step(cache, tokens, positions, badBlock, width, outRows, rope, ropeLength, 2, false),
            "row 3", "block id");
        int[] badPosition = positions.clone();
        badPosition[1] = 8; // past row 1's two-block table
        assertRefused(() -> decoder.step(cache, tokens, badPosition, goodTables, width, outRows, rope, ropeLength, 2, false),
            "row 1", "position 8");
        assertArrayEquals(before, poolBytes(cache, model.config().numLayers()), "nothing written");

        decoder.step(cache, tokens, positions, goodTables, width, outRows, rope, ropeLength, 2, false);
        assertFalse(Arrays.equals(before, poolBytes(cache, model.config().numLayers())), "a good step writes keys and values");
      }
    }
  }

  private static void assertRefused(Runnable call, String row, String what) {
    IllegalStateException e = assertThrows(IllegalStateException.class, call::run);
    assertTrue(e.getMessage().contains(row) && e.getMessage().contains(what), e.getMessage());
  }

  private static byte[] poolBytes(KvCache cache, int layers) {
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    for (int l = 0; l < layers; l++) {
      ByteBuffer p = cache.nativePool(l).duplicate();
      p.clear();
      byte[] bytes = new byte[p.remaining()];
      p.get(bytes);
      all.writeBytes(bytes);
    }
    return all.toByteArray();
  }

  private static int[] sequence(int n, int step) {
    int[] s = new int[n];
    for (int i = 0; i < n; i++) s[i] = 2 + (i * step) % 250;
    return s;
  }

}
