package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.generate.GreedyGenerator;
import io.tokenmill.engine.reference.ReferenceDecoder;
import io.tokenmill.engine.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prompts of different lengths decoded together (padded prefill, then decode at different lengths
 * with masking) give the same greedy tokens as each decoded alone, and the batched logits still match
 * the float64 reference.
 */
class BatchInvarianceTest {

  @TempDir Path tmp;

  @Test
  void batchedGreedyEqualsAlone() {
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen2", c -> c.addProperty("tie_word_embeddings", true));
    List<int[]> prompts = List.of(
        new int[] {5, 9, 33},
        IntStream.range(10, 17).toArray(),
        IntStream.range(40, 52).map(i -> (i * 7) % 300).toArray(),
        IntStream.range(0, 20).map(i -> (i * 13 + 1) % 300).toArray(),
        new int[] {200});
    int maxNew = 30;
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu())) {
      GreedyGenerator gen = new GreedyGenerator(model);
      List<int[]> together = gen.generate(prompts, maxNew, new int[0]);
      for (int i = 0; i < prompts.size(); i++) {
        int[] alone = gen.generate(List.of(prompts.get(i)), maxNew, new int[0]).get(0);
        assertArrayEquals(alone, together.get(i), "prompt " + i + " differs when batched");
        assertEquals(maxNew, alone.length);
      }
    }
  }

  @Test
  void batchedLogitsMatchReference() {
    Path dir = TinyModels.write(tmp.resolve("m"), "llama", c -> c.addProperty("num_key_value_heads", 1));
    List<int[]> prompts = List.of(new int[] {7, 8}, IntStream.range(100, 111).toArray(), new int[] {3, 4, 5, 6});
    List<List<float[]>> logits = new ArrayList<>();
    prompts.forEach(p -> logits.add(new ArrayList<>()));
    List<int[]> out;
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu())) {
      out = new GreedyGenerator(model).generate(prompts, 12, new int[0], recordInto(logits));
    }
    assertMatchesReference(dir, prompts, out, logits);
  }

  @Test
  void mixedContextLengthsAttendInLengthGroups() {
    // Contexts of 3, 70, 140 and 300 tokens: padding all to 300 would waste >50% of the gathered rows,
    // so attention runs in four length groups; results must still match each sequence alone and the reference.
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen3", c -> c.addProperty("max_position_embeddings", 1024));
    List<int[]> prompts = List.of(new int[] {4, 5, 6},
        IntStream.range(0, 70).map(i -> (i * 3 + 1) % 300).toArray(),
        IntStream.range(0, 140).map(i -> (i * 5 + 2) % 300).toArray(),
        IntStream.range(0, 300).map(i -> (i * 11 + 7) % 300).toArray());
    List<List<float[]>> logits = new ArrayList<>();
    prompts.forEach(p -> logits.add(new ArrayList<>()));
    List<int[]> together;
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu())) {
      GreedyGenerator gen = new GreedyGenerator(model);
      together = gen.generate(prompts, 8, new int[0], recordInto(logits));
      for (int i = 0; i < prompts.size(); i++) {
        assertArrayEquals(gen.generate(List.of(prompts.get(i)), 8, new int[0]).get(0), together.get(i), "prompt " + i);
      }
    }
    assertMatchesReference(dir, prompts, together, logits);
  }

  @Test
  void cutGroupsAndQueryPiecesMatchTheReference() {
    // A 1-byte limit on attention temporaries (the CPU's is 16 MiB): every sequence attends alone and
    // every prefill run in pieces of 16 queries, each piece over its own causal prefix of keys. Tokens
    // must equal the uncut forward's, logits the float64 reference.
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen2", c -> c.addProperty("max_position_embeddings", 1024));
    List<int[]> prompts = List.of(new int[] {4, 5, 6},
        IntStream.range(0, 70).map(i -> (i * 3 + 1) % 300).toArray(),
        IntStream.range(0, 301).map(i -> (i * 11 + 7) % 300).toArray());
    List<List<float[]>> logits = new ArrayList<>();
    prompts.forEach(p -> logits.add(new ArrayList<>()));
    List<int[]> cut;
    List<int[]> whole;
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu())) {
      GreedyGenerator gen = new GreedyGenerator(model);
      model.limitAttentionGroups(Long.MAX_VALUE);
      whole = gen.generate(prompts, 8, new int[0]);
      model.limitAttentionGroups(1);
      cut = gen.generate(prompts, 8, new int[0], recordInto(logits));
    }
    for (int i = 0; i < prompts.size(); i++) assertArrayEquals(whole.get(i), cut.get(i), "prompt " + i);
    assertMatchesReference(dir, prompts, cut, logits);
  }

  @Test
  void longPrefillRunsAreCutIntoConsecutiveQueryPieces() {
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen2", c -> c.addProperty("max_position_embeddings", 1024));
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu()); KvCache cache = model.newKvCache(64, 16, 1024)) {
      int[][] tables = cache.contiguousTables(2, 512);
      StepBatch batch = new StepBatch(tables, new int[] {100, 7}, new int[][] {new int[40], new int[1]});
      AttentionPlan.Pieces whole = AttentionPlan.pieces(batch, cache, 4, Long.MAX_VALUE, 2);
      assertArrayEquals(new int[] {0, 1}, whole.seq());
      AttentionPlan.Pieces cut = AttentionPlan.pieces(batch, cache, 4, 1, 2);
      assertArrayEquals(new int[] {0, 0, 0, 1}, cut.seq());
      assertArrayEquals(new int[] {0, 16, 32, 40}, cut.row());
      assertArrayEquals(new int[] {100, 116, 132, 7}, cut.start());
      assertArrayEquals(new int[] {16, 16, 8, 1}, cut.run());
    }
  }

  /** Each step's logits of each prompt against the float64 reference over prompt + generated tokens. */
  private static void assertMatchesReference(Path dir, List<int[]> prompts, List<int[]> generated,
      List<List<float[]>> logits) {
    ReferenceDecoder ref = ReferenceDecoder.load(dir);
    for (int i = 0; i < prompts.size(); i++) {
      int[] full = IntStream.concat(IntStream.of(prompts.get(i)), IntStream.of(generated.get(i))).toArray();
      double[][] expected = ref.logits(full);
      for (int s = 0; s < logits.get(i).size(); s++) {
        double err = ReferenceDecoder.maxRelativeError(logits.get(i).get(s), expected[prompts.get(i).length - 1 + s]);
        assertTrue(err <= 1e-4, "prompt " + i + " step " + s + ": " + err);
      }
    }
  }

  /** A step listener that appends each step's logits to its prompt's list. */
  private static GreedyGenerator.StepListener recordInto(List<List<float[]>> logits) {
    return (seqs, r) -> {
      float[][] l = r.toFloatArrays();
      for (int j = 0; j < seqs.length; j++) logits.get(seqs[j]).add(l[j]);
    };
  }
}
