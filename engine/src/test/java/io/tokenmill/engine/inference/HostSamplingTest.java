package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.StepBatch;
import io.tokenmill.engine.sampling.SampleRandom;
import io.tokenmill.engine.sampling.SampledToken;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.sampling.TokenCounts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Steps whose logits the native head wrote to host memory are sampled there by the oracle ({@link
 * io.tokenmill.engine.sampling.TokenSampler}); the same steps with the head in DJL go through the device
 * sampler. Both must give the same tokens for the same uniforms on every kind of row — top-p, top-k + min-p,
 * penalties with logprobs, banned ids (min_tokens), plain greedy, forced and no-token rows in one batch —
 * and logprobs within float rounding.
 */
class HostSamplingTest {

  static final Path TINY = Path.of("..", "data-samples", "models", "tiny-reasoner");

  /** Ids a min_tokens row may not produce in the test: every printable ASCII byte, the tiny model's usual picks. */
  static final int[] BANNED = java.util.stream.IntStream.range(32, 128).toArray();

  @Test
  void hostSamplingOfNativeLogitsEqualsTheDeviceSampler() {
    ModelDir md = ModelDir.open(TINY);
    try (DecoderModel model = DecoderModel.load(md.config(), TINY, ComputeDevice.cpu())) {
      assumeTrue(model.nativeHead(), "the vocab head does not run natively here");
      List<SampledToken[]> host = run(model, true);
      List<SampledToken[]> device = run(model, false);
      assertEquals(device.size(), host.size());
      for (int s = 0; s < host.size(); s++) {
        for (int i = 0; i < host.get(s).length; i++) {
          SampledToken h = host.get(s)[i];
          SampledToken d = device.get(s)[i];
          String where = "step " + s + " row " + i;
          if (d == null) {
            assertNull(h, where);
            continue;
          }
          assertEquals(d.tokenId(), h.tokenId(), where);
          if (!Float.isNaN(d.logprob())) {
            assertEquals(d.logprob(), h.logprob(), 1e-4, where + " logprob");
            assertArrayEquals(d.topIds(), h.topIds(), where + " top ids");
          }
        }
      }
    }
  }

  /** Six sequences, one row kind each, prefilled together and then decoded 12 steps; the outcome of every row. */
  private static List<SampledToken[]> run(DecoderModel model, boolean nativeHead) {
    model.useNativeHead(nativeHead);
    SamplingParams topP = SamplingParams.builder().optTemperature(0.6).optTopP(0.95).build();
    SamplingParams topKMinP = SamplingParams.builder().optTemperature(1.3).optTopK(5).optMinP(0.05).build();
    SamplingParams penalised = SamplingParams.builder().optTemperature(0.9).optRepetitionPenalty(1.3)
        .optFrequencyPenalty(0.2).optLogprobs(3).build();
    SamplingParams flat = SamplingParams.builder().optTemperature(2.5).build();
    SamplingParams[] params = {topP, topKMinP, penalised, flat, SamplingParams.GREEDY, topP};
    int b = params.length;
    int[][] prompts = new int[b][];
    for (int i = 0; i < b; i++) prompts[i] = new int[] {259, 40 + i, 41 + 2 * i, 10, 43 + i, 11};
    int perSeq = 4;
    int[][] tables = new int[b][perSeq];
    for (int i = 0; i < b; i++) for (int j = 0; j < perSeq; j++) tables[i][j] = i * perSeq + j;
    List<SampledToken[]> out = new ArrayList<>();
    List<List<Integer>> generated = new ArrayList<>();
    for (int i = 0; i < b; i++) generated.add(new ArrayList<>());
    ModelRunner runner = new ModelRunner(model, b * perSeq, 16, perSeq * 16);
    try {
      long hostBefore = runner.hostSampledSteps();
      for (int step = 0; step < 13; step++) {
        int[][] tokens = new int[b][];
        int[] starts = new int[b];
        ModelRunner.Row[] rows = new ModelRunner.Row[b];
        for (int i = 0; i < b; i++) {
          List<Integer> g = generated.get(i);
          tokens[i] = step == 0 ? prompts[i] : new int[] {g.get(g.size() - 1)};
          starts[i] = step == 0 ? 0 : prompts[i].length + g.size() - 1;
          int[] outputIds = g.stream().mapToInt(Integer::intValue).toArray();
          double u = SampleRandom.uniform(7, "host", i, g.size());
          if (i == 5 && step % 4 == 3) {
            rows[i] = ModelRunner.Row.forced(256); // a thinking-budget transition
          } else if (i == 1 && step < 4) {
            rows[i] = ModelRunner.Row.sample(params[i], TokenCounts.of(prompts[i], outputIds), u, BANNED);
          } else {
            rows[i] = ModelRunner.Row.sample(params[i], TokenCounts.of(prompts[i], outputIds), u, null);
          }
        }
        ModelRunner.Output o = runner.execute(new StepBatch(tables, starts, tokens), rows);
        SampledToken[] seen = new SampledToken[b];
        for (int i = 0; i < b; i++) {
          assertNull(o.problems()[i], "row " + i);
          seen[i] = rows[i].kind() == ModelRunner.Row.Kind.FORCED ? null : o.logprobs()[i];
          generated.get(i).add(o.tokens()[i]);
          int token = o.tokens()[i];
          if (i == 1 && step < 4) assertFalse(Arrays.stream(BANNED).anyMatch(id -> id == token), "banned id " + token);
        }
        out.add(seen);
      }
      assertEquals(nativeHead ? 13 : 0, runner.hostSampledSteps() - hostBefore, "steps sampled on the host");
    } finally {
      runner.close();
      model.useNativeHead(true);
    }
    return out;
  }
}
