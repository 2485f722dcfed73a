package io.tokenmill.engine.model;

import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One decoder architecture family, keyed by HF {@code model_type}. The families Tokenmill runs share
 * one decoder (pre-norm, RoPE, GQA, SwiGLU); a family only says which optional pieces its checkpoints
 * carry. Adding a family means adding a sibling constant to {@link #REGISTRY}, not editing a switch in
 * the forward pass.
 */
public interface ModelFamily {

  /** The HF {@code model_type} this family answers to. */
  String modelType();

  /** Which optional tensors and ops this family's checkpoints have, given the raw config.json. */
  Architecture architecture(JsonObject config);

  /** The optional pieces of the shared decoder. */
  record Architecture(boolean qkvBias, boolean outputBias, boolean qkNorm) {}

  /** Llama 1-3.x: biases only when {@code attention_bias} is true, and then on q, k, v and o. */
  ModelFamily LLAMA = simple("llama", c -> {
    boolean bias = flag(c, "attention_bias");
    return new Architecture(bias, bias, false);
  });

  /** Qwen2 / Qwen2.5 / DeepSeek-R1-Distill-Qwen: q, k, v always carry biases; o_proj never does. */
  ModelFamily QWEN2 = simple("qwen2", c -> new Architecture(true, false, false));

  /** Qwen3 dense: per-head RMSNorm on q and k before RoPE; biases only with {@code attention_bias}. */
  ModelFamily QWEN3 = simple("qwen3", c -> {
    boolean bias = flag(c, "attention_bias");
    return new Architecture(bias, bias, true);
  });

  Map<String, ModelFamily> REGISTRY = registry(List.of(LLAMA, QWEN2, QWEN3));

  /** The family for a {@code model_type}, or an error listing the supported ones. */
  static ModelFamily forModelType(String modelType) {
    ModelFamily family = REGISTRY.get(modelType == null ? "" : modelType.toLowerCase(Locale.ROOT));
    if (family == null) {
      throw new IllegalArgumentException(
          "model_type '" + modelType + "' is not supported; supported: " + REGISTRY.keySet());
    }
    return family;
  }

  private static Map<String, ModelFamily> registry(List<ModelFamily> families) {
    Map<String, ModelFamily> map = new TreeMap<>();
    families.forEach(f -> map.put(f.modelType(), f));
    return Map.copyOf(map);
  }

  private static boolean flag(JsonObject c, String key) {
    return c.has(key) && !c.get(key).isJsonNull() && c.get(key).getAsBoolean();
  }

  private static ModelFamily simple(String type, java.util.function.Function<JsonObject, Architecture> arch) {
    return new ModelFamily() {
      @Override
      public String modelType() {
        return type;
      }

      @Override
      public Architecture architecture(JsonObject config) {
        return arch.apply(config);
      }

      @Override
      public String toString() {
        return type;
      }
    };
  }
}
