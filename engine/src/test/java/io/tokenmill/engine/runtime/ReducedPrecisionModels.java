package io.tokenmill.engine.runtime;

import io.tokenmill.engine.generate.GreedyGenerator;
import io.tokenmill.engine.reference.ReferenceDecoder;
import io.tokenmill.engine.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The model and prompts of the reduced-precision CPU device tests ({@code cpu-f16}, {@code cpu-bf16}): a
 * 2-layer Qwen2 sized so that gate/up, down and the vocab head are at least 1 MiB (they get the device's
 * 16-bit weights) and q/k/v and o are not.
 */
final class ReducedPrecisionModels {

  private ReducedPrecisionModels() {}

  static Path write(Path parent, boolean tied) {
    return TinyModels.write(parent.resolve(tied ? "tied" : "untied"), "qwen2", c -> {
      c.addProperty("hidden_size", 256);
      c.addProperty("intermediate_size", 1024);
      c.addProperty("vocab_size", 1024);
      c.addProperty("tie_word_embeddings", tied);
    });
  }

  static final List<int[]> PROMPTS = List.of(
      new int[] {5, 9, 33},
      IntStream.range(10, 17).toArray(),
      IntStream.range(40, 52).map(i -> (i * 7) % 1000).toArray(),
      IntStream.range(0, 20).map(i -> (i * 13 + 1) % 1000).toArray(),
      new int[] {200},
      new int[] {700, 3});

  /** One empty list per prompt, for logits collected step by step. */
  static List<List<float[]>> perPrompt() {
    List<List<float[]>> lists = new ArrayList<>();
    PROMPTS.forEach(p -> lists.add(new ArrayList<>()));
    return lists;
  }

  /**
   * Greedy-decodes the first {@code prompts} prompts together on {@code device} and returns the worst
   * relative logit error against the float64 reference of the unrounded checkpoint, over every step.
   */
  static double worstReferenceError(Path dir, ComputeDevice device, int prompts, int maxNew) {
    List<List<float[]>> logits = perPrompt();
    List<int[]> out;
    try (DecoderModel model = DecoderModel.load(dir, device)) {
      out = new GreedyGenerator(model).generate(PROMPTS.subList(0, prompts), maxNew, new int[0], (seqs, r) -> {
        float[][] l = r.toFloatArrays();
        for (int j = 0; j < seqs.length; j++) logits.get(seqs[j]).add(l[j]);
      });
    }
    ReferenceDecoder ref = ReferenceDecoder.load(dir);
    double worst = 0;
    for (int i = 0; i < prompts; i++) {
      int[] full = IntStream.concat(IntStream.of(PROMPTS.get(i)), IntStream.of(out.get(i))).toArray();
      double[][] expected = ref.logits(full);
      for (int s = 0; s < logits.get(i).size(); s++) {
        worst = Math.max(worst,
            ReferenceDecoder.maxRelativeError(logits.get(i).get(s), expected[PROMPTS.get(i).length - 1 + s]));
      }
    }
    return worst;
  }
}
