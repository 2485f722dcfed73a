package io.tokenmill.engine.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.tokenmill.engine.make.RandomWeights;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.weights.DType;
import io.tokenmill.engine.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Tiny random model directories (config.json + safetensors) of each family, built in the test itself. */
public final class TinyModels {

  private TinyModels() {}

  /** A small config of {@code modelType}: 2 layers, hidden 64, 4 query heads over 2 KV heads, vocab 300. */
  public static JsonObject config(String modelType) {
    JsonObject c = new JsonObject();
    c.addProperty("model_type", modelType);
    c.addProperty("vocab_size", 300);
    c.addProperty("hidden_size", 64);
    c.addProperty("intermediate_size", 96);
    c.addProperty("num_hidden_layers", 2);
    c.addProperty("num_attention_heads", 4);
    c.addProperty("num_key_value_heads", 2);
    c.addProperty("rms_norm_eps", 1e-6);
    c.addProperty("rope_theta", 10000.0);
    c.addProperty("max_position_embeddings", 512);
    c.addProperty("tie_word_embeddings", false);
    c.addProperty("hidden_act", "silu");
    c.addProperty("bos_token_id", 1);
    JsonArray eos = new JsonArray();
    eos.add(2);
    c.add("eos_token_id", eos);
    if (modelType.equals("qwen3")) c.addProperty("head_dim", 32);
    return c;
  }

  /** Writes a model dir for the config after {@code tweak}; returns the dir. */
  public static Path write(Path dir, String modelType, Consumer<JsonObject> tweak, DType dtype, long seed,
      long maxShardBytes) {
    JsonObject json = config(modelType);
    tweak.accept(json);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("config.json"), json.toString());
      ModelConfig config = ModelConfig.fromJson(json);
      SafetensorsWriter.write(dir, RandomWeights.tensors(config, seed), dtype, maxShardBytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  public static Path write(Path dir, String modelType, Consumer<JsonObject> tweak) {
    return write(dir, modelType, tweak, DType.F32, 42, Long.MAX_VALUE);
  }
}
