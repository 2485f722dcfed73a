package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.make.RandomWeights;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Tasks;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The training forward ({@link TrainableDecoder}) and the engine's forward compute the same function:
 * on the committed tiny reasoner, and on random-weight models (every norm and bias non-trivial) of each
 * option the training forward supports — qwen2 q/k/v biases, qwen3 q/k norms with and without biases,
 * tied and separate heads.
 */
class ForwardEquivalenceTest {

  static final Path COMMITTED = Path.of("..", "data-samples", "models", "tiny-reasoner");

  @TempDir Path tmp;

  @Test
  void committedTinyReasonerRunsAsTrained() {
    ModelConfig config = ModelDir.validate(COMMITTED).config();
    try (TrainableDecoder training = TrainableDecoder.load(config, COMMITTED)) {
      double worst = ForwardEquivalence.assertSame(training, COMMITTED, problems());
      System.out.printf("tiny-reasoner: worst relative error %.2e%n", worst);
    }
  }

  static Stream<Arguments> variants() {
    return Stream.of(
        Arguments.of("qwen2 tied", "qwen2", (Consumer<JsonObject>) c -> {}),
        Arguments.of("qwen2 untied", "qwen2", (Consumer<JsonObject>) c -> c.addProperty("tie_word_embeddings", false)),
        Arguments.of("qwen3 tied", "qwen3", (Consumer<JsonObject>) c -> {}),
        Arguments.of("qwen3 untied with biases", "qwen3", (Consumer<JsonObject>) c -> {
          c.addProperty("tie_word_embeddings", false);
          c.addProperty("attention_bias", true);
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void randomModelsAgree(String name, String type, Consumer<JsonObject> tweak) throws Exception {
    TrainConfig shape = new TrainConfig(type, 64, 96, 2, 4, 2, true, 1, 1, 64, 1e-3, 0, 0, 0, 0.9, 0.98, 1, 0, "add");
    JsonObject json = shape.modelJson(TinyReasoner.VOCAB_SIZE, 512);
    tweak.accept(json);
    Path dir = tmp.resolve(name.replace(' ', '-'));
    ModelMaker.write(json, TinyReasoner.FORMAT, dir, c -> RandomWeights.tensors(c, 5), DType.F32, Long.MAX_VALUE, false);
    ModelConfig config = ModelDir.validate(dir).config();
    try (TrainableDecoder training = TrainableDecoder.load(config, dir)) {
      double worst = ForwardEquivalence.assertSame(training, dir, problems());
      System.out.printf("%s: worst relative error %.2e%n", name, worst);
    }
  }

  /** One held-out problem of each task at level 2 (short: the check runs one decode step per token). */
  static List<Problem> problems() {
    List<Problem> out = new ArrayList<>();
    for (var task : Tasks.ALL) out.add(Tasks.heldOut(task, 2, 1, 3).get(0));
    return out;
  }
}
