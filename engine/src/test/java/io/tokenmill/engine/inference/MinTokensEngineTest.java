package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code minTokens} masks the end tokens (stop token ids, EOS) until a sample has that many output tokens, on
 * the greedy and the sampled path; {@code stopTokenIds} end a sample on the token. A small random model's
 * free run gives the tokens to stop on.
 */
class MinTokensEngineTest {

  @TempDir Path tmp;

  @Test
  void aStopTokenIdEndsTheSampleAndMinTokensHoldsItOff() throws Exception {
    Path out = tmp.resolve("q3");
    ModelMaker.make(Path.of("..", "conf", "models", "qwen3-0.6b"), out,
        new ModelMaker.Options(9, DType.F32, EngineTest.SMALL, null, 1L << 30, false));
    ModelDir dir = ModelDir.validate(out);
    try (ModelTokenizer tokenizer = dir.tokenizer();
        DecoderModel model = DecoderModel.load(dir.config(), out, ComputeDevice.cpu())) {
      for (double temperature : new double[] {0.0, 0.9}) {
        SamplingParams free = SamplingParams.builder().optTemperature(temperature).optSeed(3).optMaxNewTokens(24)
            .optIgnoreEos(true).build();
        try (Engine e = Engine.start(model, tokenizer, ReasoningFormat.QWEN3, dir.eosIds(tokenizer),
            new EngineConfig(4, 512, 32L << 20, 16, 256, 64))) {
          int[] run = EngineTest.one(e, new GenerationRequest("m", EngineTest.prompt(9, 2), free)).outputIds();
          assertEquals(24, run.length);
          int stopAt = firstRepeatFree(run, 2); // the token at index 2, first seen there
          int stopId = run[stopAt];

          GenerationResult stopped = EngineTest.one(e, new GenerationRequest("m", EngineTest.prompt(9, 2),
              free.toBuilder().optStopTokenIds(stopId).build()));
          assertEquals(FinishReason.STOP, stopped.finishReason(), "T=" + temperature);
          assertArrayEquals(Arrays.copyOf(run, stopAt + 1), stopped.outputIds(), "stops on the stop token id");

          int min = stopAt + 4;
          GenerationResult held = EngineTest.one(e, new GenerationRequest("m", EngineTest.prompt(9, 2),
              free.toBuilder().optStopTokenIds(stopId).optMinTokens(min).optLogprobs(0).build()));
          int[] ids = held.outputIds();
          assertTrue(ids.length >= min, "min_tokens " + min + ": " + Arrays.toString(ids));
          for (int i = 0; i < min; i++) assertNotEquals(stopId, ids[i], "no stop token before min_tokens, index " + i);
          assertArrayEquals(Arrays.copyOf(run, stopAt), Arrays.copyOf(ids, stopAt), "the same run up to there");
          if (ids[ids.length - 1] == stopId) assertEquals(FinishReason.STOP, held.finishReason());
          // the logprob reported is of the RAW logits: the masked token was banned, not given -inf logprob
          assertTrue(Float.isFinite(held.logprobs().get(stopAt).logprob()));
        }
      }
    }
  }

  /** Index of the first token from {@code from} on that does not occur earlier in the run. */
  private static int firstRepeatFree(int[] run, int from) {
    for (int i = from; i < run.length; i++) {
      int t = run[i];
      if (Arrays.stream(run, 0, i).noneMatch(x -> x == t)) return i;
    }
    throw new AssertionError("no fresh token in " + Arrays.toString(run));
  }
}
