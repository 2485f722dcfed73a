package io.tokenmill.engine.model;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The real models' config.json files in conf/models parse to the shapes their model cards state. */
class ModelConfigTest {

  static ModelConfig preset(String name) {
    return ModelConfig.read(Path.of("..", "conf", "models", name, "config.json"));
  }

  @Test
  void qwen25HalfBillion() {
    ModelConfig c = preset("qwen2.5-0.5b-instruct");
    assertEquals("qwen2", c.modelType());
    assertEquals(64, c.headDim());
    assertEquals(7, c.groupSize());
    assertTrue(c.tieWordEmbeddings());
    assertTrue(c.architecture().qkvBias());
    assertFalse(c.architecture().outputBias());
    assertEquals(494_032_768L, c.parameterCount()); // Qwen2.5-0.5B: 0.49B parameters
  }

  @Test
  void deepseekR1DistillQwen15B() {
    ModelConfig c = preset("deepseek-r1-distill-qwen-1.5b");
    assertFalse(c.tieWordEmbeddings());
    assertEquals(128, c.headDim());
    assertEquals(1_777_088_000L, c.parameterCount()); // 1.78B as published
  }

  @Test
  void qwen3ExplicitHeadDimAndQkNorm() {
    ModelConfig c = preset("qwen3-0.6b");
    assertEquals(128, c.headDim()); // != hidden/heads = 64
    assertTrue(c.architecture().qkNorm());
    assertEquals(596_049_920L, c.parameterCount()); // Qwen3-0.6B: 0.6B incl. embedding
  }

  @Test
  void llama32WithLlama3RopeScalingAndEosList() {
    ModelConfig c = preset("llama-3.2-1b-instruct");
    assertNotNull(c.ropeScaling());
    assertEquals(32.0, c.ropeScaling().factor());
    assertArrayEquals(new int[] {128001, 128008, 128009}, c.eosTokenIds());
    assertEquals(1_235_814_400L, c.parameterCount()); // Llama-3.2-1B: 1.24B
    // Long wavelengths are slowed by the factor, short ones kept.
    assertEquals(1.0, c.ropeScaling().scale(1.0), 0.0);
    assertEquals(1e-5 / 32, c.ropeScaling().scale(1e-5), 1e-20);
  }

  @Test
  void errorsNameTheKey() {
    JsonObject j = JsonParser.parseString("{\"model_type\":\"qwen2\",\"vocab_size\":10,\"hidden_size\":12,"
        + "\"intermediate_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":3,\"num_key_value_heads\":2}")
        .getAsJsonObject();
    var e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(j));
    assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
    j.addProperty("model_type", "gpt2");
    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(j));
    assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("llama"), e.getMessage());
    j.addProperty("model_type", "llama");
    j.remove("vocab_size");
    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(j));
    assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
  }
}
