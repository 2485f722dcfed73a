package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import io.tokenmill.engine.reference.ReferenceDecoder;
import io.tokenmill.engine.testing.TinyModels;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's logits against the independent float64 reference, on tiny random models of every family
 * and option: the prefill's last position and each of 24 greedy decode steps, max relative error ≤ 1e-4
 * (error normalised by the logit vector's scale, see {@link ReferenceDecoder#maxRelativeError}).
 */
public class EngineVsReferenceTest {

  static final double TOLERANCE = 1e-4;
  static final int DECODE_STEPS = 24;

  @TempDir Path tmp;

  static Stream<Arguments> variants() {
    return Stream.of(
        variant("llama GQA 2, untied", "llama", c -> {}),
        variant("llama MHA (GQA 1), tied", "llama", c -> {
          c.addProperty("num_key_value_heads", 4);
          c.addProperty("tie_word_embeddings", true);
        }),
        variant("llama3 rope scaling, GQA 4", "llama", c -> {
          c.addProperty("num_key_value_heads", 1);
          c.addProperty("rope_theta", 500000.0);
          JsonObject s = new JsonObject();
          s.addProperty("rope_type", "llama3");
          s.addProperty("factor", 32.0);
          s.addProperty("low_freq_factor", 1.0);
          s.addProperty("high_freq_factor", 4.0);
          s.addProperty("original_max_position_embeddings", 64);
          c.add("rope_scaling", s);
        }),
        variant("llama attention_bias", "llama", c -> c.addProperty("attention_bias", true)),
        variant("qwen2 q/k/v bias, tied", "qwen2", c -> c.addProperty("tie_word_embeddings", true)),
        variant("qwen2 q/k/v bias, untied, MHA", "qwen2", c -> c.addProperty("num_key_value_heads", 4)),
        variant("qwen3 q/k norm, head_dim 32 != hidden/heads", "qwen3", c -> {}),
        variant("qwen3 q/k norm, tied, GQA 4", "qwen3", c -> {
          c.addProperty("tie_word_embeddings", true);
          c.addProperty("num_key_value_heads", 1);
        }),
        variant("qwen3 attention_bias, 3 layers", "qwen3", c -> {
          c.addProperty("attention_bias", true);
          c.addProperty("num_hidden_layers", 3);
        }));
  }

  static Arguments variant(String name, String type, Consumer<JsonObject> tweak) {
    return Arguments.of(name, type, tweak);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void prefillAndDecodeMatchReference(String name, String type, Consumer<JsonObject> tweak) {
    Path dir = TinyModels.write(tmp.resolve("m"), type, tweak);
    assertMatchesReference(dir, new int[] {1, 17, 42, 99, 7, 250, 3, 64, 128});
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("storedTypes")
  void halfPrecisionCheckpointsAreWidenedExactly(DType dtype) {
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen2", c -> {}, dtype, 7, Long.MAX_VALUE);
    assertMatchesReference(dir, new int[] {5, 6, 7, 8});
  }

  static Stream<DType> storedTypes() {
    return Stream.of(DType.BF16, DType.F16);
  }

  @org.junit.jupiter.api.Test
  void shardedCheckpointLoadsLikeSingleFile() {
    Path dir = TinyModels.write(tmp.resolve("m"), "llama", c -> {}, DType.F32, 3, 40_000);
    assertTrue(dir.resolve("model.safetensors.index.json").toFile().exists(), "expected shards");
    assertMatchesReference(dir, new int[] {9, 8, 7});
  }

  @org.junit.jupiter.api.Test
  void chunkedPrefillMatchesReference() {
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen3", c -> {});
    int[] prompt = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
    ReferenceDecoder ref = ReferenceDecoder.load(dir);
    double[][] expected = ref.logits(prompt);
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu()); KvCache cache = model.newKvCache(8, 4, 64)) {
      int[][] table = {{6, 2, 7, 0}}; // scattered blocks of 4 tokens
      int at = 0;
      for (int chunk : new int[] {4, 1, 6}) {
        int[] part = java.util.Arrays.copyOfRange(prompt, at, at + chunk);
        try (StepResult r = model.forward(cache, new StepBatch(table, new int[] {at}, new int[][] {part}))) {
          at += chunk;
          double err = ReferenceDecoder.maxRelativeError(r.toFloatArrays()[0], expected[at - 1]);
          assertTrue(err <= TOLERANCE, "chunk ending at " + at + ": error " + err);
        }
      }
    }
  }

  /** Prefill + greedy decode in the engine; every step's logits checked against one reference pass. */
  public static void assertMatchesReference(Path dir, int[] prompt) {
    List<float[]> engineLogits = new ArrayList<>();
    List<Integer> sequence = new ArrayList<>();
    for (int t : prompt) sequence.add(t);
    try (DecoderModel model = DecoderModel.load(dir, ComputeDevice.cpu());
        KvCache cache = model.newKvCache(16, 4, 64)) {
      // Scattered, non-monotonic blocks of 4 tokens: paging bugs cannot hide behind a contiguous layout.
      int[][] table = {{9, 3, 14, 0, 7, 12, 1, 5, 11}};
      int next;
      try (StepResult r = model.forward(cache, new StepBatch(table, new int[] {0}, new int[][] {prompt}))) {
        engineLogits.add(r.toFloatArrays()[0]);
        next = r.argmax()[0];
      }
      for (int s = 0; s < DECODE_STEPS; s++) {
        sequence.add(next);
        try (StepResult r = model.forward(cache,
            StepBatch.decode(table, new int[] {sequence.size() - 1}, new int[] {next}))) {
          engineLogits.add(r.toFloatArrays()[0]);
          next = r.argmax()[0];
        }
      }
    }
    int[] all = sequence.stream().mapToInt(Integer::intValue).toArray();
    double[][] expected = ReferenceDecoder.load(dir).logits(all);
    double worst = 0;
    for (int s = 0; s < engineLogits.size(); s++) {
      int position = prompt.length - 1 + s;
      double err = ReferenceDecoder.maxRelativeError(engineLogits.get(s), expected[position]);
      assertTrue(err <= TOLERANCE, "step " + s + " (position " + position + "): relative error " + err);
      worst = Math.max(worst, err);
    }
    System.out.printf("%s: %d steps, worst relative error %.2e%n", dir.getFileName(), engineLogits.size(), worst);
  }
}
