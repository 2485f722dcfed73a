package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.testing.TinyModels;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native decode attention ({@link NativeKernels#decodeAttention}) against the DJL path it replaces:
 * the same model, prompts and scattered block tables run once with each, prefill on the DJL path (both),
 * then decode steps — the logits must agree to fp32 rounding and the greedy tokens exactly, for every
 * family (GQA groups of 1, 2 and 4; Qwen3's q/k norm; head dims 16 and 32) and for contexts that cross
 * many small blocks. The kernel's own checks: bad block ids and positions are refused naming the row, with
 * nothing written.
 */
class NativeDecodeAttentionTest {

  @TempDir Path tmp;

  @Test
  void kernelsAreBuiltWhereTheBuildHadACompiler() {
    boolean compiler = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, "cc")));
    boolean switchedOff = "off".equalsIgnoreCase(System.getProperty(NativeKernels.PROPERTY, "auto"));
    if (compiler && !switchedOff) assertTrue(NativeKernels.available(), NativeKernels.status());
    if (!NativeKernels.available()) System.out.println("native kernels: " + NativeKernels.status());
  }

  @Test
  void qwen2GroupsOfTwoAgreeWithTheDjlPath() {
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
  void longContextsSharedAcrossThreadsAgreeWithTheDjlPath() {
    // 16 sequences at ~260-300 tokens, one KV head of 4 queries: past the kernel's threshold for waking its
    // helper threads (16,384 key rows × queries per layer), so the layer is cut in parts by keys read.
    int[][] prompts = new int[16][];
    for (int i = 0; i < prompts.length; i++) prompts[i] = sequence(260 + 3 * i, 7 + i);
    assertTrue(NativeKernels.THREADS > 1 || Runtime.getRuntime().availableProcessors() == 1, "threads " + NativeKernels.THREADS);
    agree("llama", c -> c.addProperty("num_key_value_heads", 1), 16, prompts, 12);
  }

  private void agree(String family, Consumer<JsonObject> tweak, int blockSize) {
    // Four prompts (1, 7, 30 and 61 tokens), then 40 decode steps each way.
    agree(family, tweak, blockSize, new int[][] {{17}, {3, 9, 27, 81, 243, 5, 15}, sequence(30, 7), sequence(61, 11)}, 40);
  }

  /** The prompts over blocks of {@code blockSize} handed out in a shuffled order, then {@code steps} decode steps each way. */
  private void agree(String family, Consumer<JsonObject> tweak, int blockSize, int[][] prompts, int steps) {
    org.junit.jupiter.api.Assumptions.assumeTrue(NativeKernels.available(), NativeKernels.status());
    Path dir = TinyModels.write(tmp.resolve(family), family, tweak);
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu())) {
      List<float[][]> reference = decode(model, false, prompts, steps, blockSize);
      StaggeredSteps.assertAgree(family, reference, decode(model, true, prompts, steps, blockSize));
    }
  }

  /** Prefill (DJL path), then {@code steps} greedy decode steps with native attention on or off: logits per step. */
  private static List<float[][]> decode(DecoderModel model, boolean nativeAttention, int[][] prompts, int steps,
      int blockSize) {
    int b = prompts.length;
    int longest = Arrays.stream(prompts).mapToInt(p -> p.length).max().orElseThrow();
    int perSeq = (longest + steps + blockSize) / blockSize + 1;
    // Blocks dealt out shuffled: neighbouring positions of a sequence live far apart in the pool.
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < b * perSeq; i++) ids.add(i);
    java.util.Collections.shuffle(ids, new Random(7));
    int[][] tables = new int[b][perSeq];
    for (int i = 0; i < b; i++) for (int j = 0; j < perSeq; j++) tables[i][j] = ids.get(i * perSeq + j);
    List<float[][]> out = new ArrayList<>();
    model.useNativeLayers(false); // this test is about the attention kernel alone (NativeDecodeLayersTest: the rest)
    try (KvCache cache = model.newKvCache(b * perSeq, blockSize, perSeq * blockSize)) {
      model.useNativeAttention(false);
      int[] starts = new int[b];
      int[] last = new int[b];
      try (StepResult r = model.forward(cache, new StepBatch(tables, new int[b], prompts))) {
        last = r.argmax();
      }
      for (int i = 0; i < b; i++) starts[i] = prompts[i].length;
      model.useNativeAttention(nativeAttention);
      for (int s = 0; s < steps; s++) {
        try (StepResult r = model.forward(cache, StepBatch.decode(tables, starts.clone(), last))) {
          out.add(r.toFloatArrays());
          last = r.argmax();
        }
        for (int i = 0; i < b; i++) starts[i]++;
      }
    } finally {
      model.useNativeAttention(NativeKernels.available());
      model.useNativeLayers(model.nativeDecoder() != null);
    }
    return out;
  }

  @Test
  void stepsMixingPrefillChunksAndDecodesAgreeWithTheDjlPath() {
    // Continuous batching's usual step: some sequences feed prompt chunks (DJL path) while others decode
    // (native); sequence i joins at step 3·i and feeds its prompt 5 tokens per step.
    org.junit.jupiter.api.Assumptions.assumeTrue(NativeKernels.available(), NativeKernels.status());
    Path dir = TinyModels.write(tmp.resolve("mixed"), "qwen2", c -> {});
    int[][] prompts = {sequence(12, 3), {42}, sequence(23, 5), sequence(9, 13), sequence(31, 17)};
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu())) {
      List<float[][]> reference = staggered(model, false, prompts, 30);
      StaggeredSteps.assertAgree("mixed steps", reference, staggered(model, true, prompts, 30));
    }
  }

  /** Staggered joins, 5-token prompt chunks, greedy decodes: the logits of every step's rows. */
  private static List<float[][]> staggered(DecoderModel model, boolean nativeAttention, int[][] prompts, int steps) {
    int b = prompts.length;
    int bs = 4;
    int perSeq = (Arrays.stream(prompts).mapToInt(p -> p.length).max().orElseThrow() + steps) / bs + 2;
    int[][] tables = new int[b][perSeq];
    for (int i = 0; i < b; i++) for (int j = 0; j < perSeq; j++) tables[i][j] = j * b + (b - 1 - i); // interleaved
    int[] joins = new int[b];
    for (int i = 0; i < b; i++) joins[i] = 3 * i;
    model.useNativeAttention(nativeAttention);
    model.useNativeLayers(false); // the attention kernel's own mixed steps
    try (KvCache cache = model.newKvCache(b * perSeq, bs, perSeq * bs)) {
      return StaggeredSteps.run(model, cache, prompts, tables, joins, 5, steps);
    } finally {
      model.useNativeAttention(NativeKernels.available());
      model.useNativeLayers(model.nativeDecoder() != null);
    }
  }

  @Test
  void kernelRefusesBadBlocksAndPositionsNamingTheRowAndWritesNothing() {
    org.junit.jupiter.api.Assumptions.assumeTrue(NativeKernels.available(), NativeKernels.status());
    int rows = 2, nKv = 1, g = 1, hd = 4, numBlocks = 3, bs = 2, width = 2, ropeLength = 8;
    ByteBuffer grouped = floats(rows * nKv * (g + 2) * hd, 1f);
    ByteBuffer pool = floats(2 * nKv * numBlocks * bs * hd, 0f);
    ByteBuffer cos = floats(ropeLength * hd, 1f);
    ByteBuffer sin = floats(ropeLength * hd, 0f);
    ByteBuffer out = floats(rows * nKv * g * hd, -3f);
    int[] badRow = {-1};
    // Row 1's first block id is 3: outside a pool of 3 blocks.
    int rc = NativeKernels.decodeAttention(grouped, pool, cos, sin, out, new int[] {1, 2}, new int[] {0, 1, 3, 2},
        rows, nKv, g, hd, numBlocks, bs, width, ropeLength, 2, badRow);
    assertEquals(NativeKernels.BAD_BLOCK, rc);
    assertEquals(1, badRow[0]);
    assertAll(pool, 0f);
    assertAll(out, -3f);
    // Row 0 at position 8: past the RoPE tables (and its two-block table).
    rc = NativeKernels.decodeAttention(grouped, pool, cos, sin, out, new int[] {8, 0}, new int[] {0, 1, 2, 2},
        rows, nKv, g, hd, numBlocks, bs, width, ropeLength, 2, badRow);
    assertEquals(NativeKernels.BAD_POSITION, rc);
    assertEquals(0, badRow[0]);
    // An output buffer one row short.
    rc = NativeKernels.decodeAttention(grouped, pool, cos, sin, floats(hd, 0f), new int[] {1, 0},
        new int[] {0, 1, 2, 2}, rows, nKv, g, hd, numBlocks, bs, width, ropeLength, 2, badRow);
    assertEquals(NativeKernels.BAD_BUFFER, rc);
    assertAll(pool, 0f);
    assertAll(out, -3f);
    // Well-formed: with cos 1, sin 0 and one key, each row's output is its value row (all ones here).
    rc = NativeKernels.decodeAttention(grouped, pool, cos, sin, out, new int[] {0, 0}, new int[] {0, 1, 2, 2},
        rows, nKv, g, hd, numBlocks, bs, width, ropeLength, 2, badRow);
    assertEquals(NativeKernels.OK, rc);
    assertAll(out, 1f);
  }

  private static ByteBuffer floats(int n, float value) {
    ByteBuffer b = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder());
    for (int i = 0; i < n; i++) b.putFloat(i * Float.BYTES, value);
    return b;
  }

  private static void assertAll(ByteBuffer b, float value) {
    FloatBuffer f = b.asFloatBuffer();
    for (int i = 0; i < f.capacity(); i++) assertEquals(value, f.get(i), "float " + i);
  }

  private static int[] sequence(int n, int step) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) t[i] = (i * step + 1) % 290;
    return t;
  }

}
