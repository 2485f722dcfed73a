package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.make.RandomWeights;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ChatFormat;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.weights.DType;
import io.tokenmill.engine.weights.SafetensorsWriter;
import io.tokenmill.engine.weights.WeightNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A weight that makes one prompt's logits NaN (as an fp16 overflow would on a GPU) fails that prompt's
 * row with finish reason error, on the greedy path as on the sampling path; the other rows of the same
 * batch finish exactly as they would alone.
 */
class NonFiniteLogitsTest {

  /** The only token whose embedding row is NaN; the healthy prompts never contain it. */
  static final int POISONED_TOKEN = 500;

  @TempDir Path tmp;

  @Test
  void aRowWithNanLogitsFailsAloneAndTheBatchCarriesOn() throws Exception {
    Path dir = modelWithPoisonedEmbeddingRow(tmp.resolve("nan-row"));
    ModelDir md = ModelDir.validate(dir);
    SamplingParams greedy = SamplingParams.builder().optTemperature(0).optMaxNewTokens(8).optIgnoreEos(true).build();
    SamplingParams sampled = SamplingParams.builder().optTemperature(0.8).optSeed(3).optMaxNewTokens(8)
        .optIgnoreEos(true).build();
    int[] healthy = IntStream.range(0, 12).map(i -> 40 + i * 5).toArray();
    int[] poisoned = IntStream.range(0, 12).map(i -> i == 6 ? POISONED_TOKEN : 40 + i * 3).toArray();
    try (DecoderModel model = DecoderModel.load(md.config(), dir, ComputeDevice.cpu());
        ModelTokenizer tok = md.tokenizer()) {
      int[] alone;
      try (Engine e = engine(model, tok, md)) {
        alone = e.submit(new GenerationRequest("alone", healthy, greedy)).results().get().get(0).outputIds();
      }
      try (Engine e = engine(model, tok, md)) {
        RequestHandle good = e.submit(new GenerationRequest("good", healthy, greedy));
        RequestHandle badGreedy = e.submit(new GenerationRequest("bad-greedy", poisoned, greedy));
        RequestHandle badSampled = e.submit(new GenerationRequest("bad-sampled", poisoned, sampled));
        RequestHandle goodSampled = e.submit(new GenerationRequest("good-sampled", healthy, sampled));
        for (RequestHandle bad : List.of(badGreedy, badSampled)) {
          GenerationResult r = bad.results().get().get(0);
          assertEquals(FinishReason.ERROR, r.finishReason(), r.id());
          assertNotNull(r.error(), r.id());
          assertTrue(r.error().contains("NaN"), r.id() + ": " + r.error());
        }
        GenerationResult g = good.results().get().get(0);
        assertNull(g.error());
        assertArrayEquals(alone, g.outputIds(), "the healthy greedy row is unaffected by its neighbours");
        GenerationResult s = goodSampled.results().get().get(0);
        assertNull(s.error());
        assertEquals(8, s.outputIds().length);
      }
    }
  }

  static Engine engine(DecoderModel model, ModelTokenizer tok, ModelDir md) {
    return Engine.start(model, tok, ReasoningFormat.QWEN3, md.eosIds(tok), new EngineConfig(4, 256, 16L << 20, 16, 256, 64));
  }

  /** A small Qwen3 model (untied head, so only the poisoned token's own embedding carries the NaN). */
  static Path modelWithPoisonedEmbeddingRow(Path out) throws Exception {
    JsonObject json = JsonParser.parseString(Files.readString(Path.of("..", "conf", "models", "qwen3-0.6b",
        "config.json"))).getAsJsonObject();
    Map.of("num_hidden_layers", 2, "vocab_size", 600, "hidden_size", 64, "intermediate_size", 128,
        "num_attention_heads", 4, "num_key_value_heads", 2, "head_dim", 16, "max_position_embeddings", 2048)
        .forEach(json::addProperty);
    json.addProperty("tie_word_embeddings", false);
    ModelMaker.write(json, ChatFormat.QWEN3, out, config -> {
      List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
      for (SafetensorsWriter.Tensor t : RandomWeights.tensors(config, 5)) {
        if (!t.name().equals(WeightNames.EMBED)) {
          tensors.add(t);
          continue;
        }
        int hidden = config.hiddenSize();
        tensors.add(new SafetensorsWriter.Tensor(t.name(), t.shape(), tensor -> {
          float[] v = t.values().values(tensor);
          Arrays.fill(v, POISONED_TOKEN * hidden, (POISONED_TOKEN + 1) * hidden, Float.NaN);
          return v;
        }));
      }
      return tensors;
    }, DType.F32, 1L << 30, false);
    return out;
  }
}
