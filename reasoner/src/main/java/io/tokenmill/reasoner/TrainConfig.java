package io.tokenmill.reasoner;

import com.google.gson.JsonObject;

/**
 * Everything a training run depends on: the decoder's shape (written out as a HF config.json) and the
 * optimisation settings. Same config + same seed = same model (up to libtorch's float reductions).
 *
 * @param rows packed rows per step; each row holds whole problems (no problem is split)
 * @param rowLength tokens per packed row; longer than the longest problem
 * @param warmupSteps linear warmup from 0 to {@code lr}; then cosine decay to {@code lr * minLrRatio}
 */
public record TrainConfig(
    String modelType,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    boolean tieWordEmbeddings,
    int steps,
    int rows,
    int rowLength,
    double lr,
    double minLrRatio,
    int warmupSteps,
    double weightDecay,
    double beta1,
    double beta2,
    double clipNorm,
    long seed) {

  public TrainConfig {
    require(modelType.equals("qwen2") || modelType.equals("qwen3"), "modelType must be qwen2 or qwen3");
    require(steps >= 1, "steps must be >= 1");
    require(rows >= 1 && rowLength >= 16, "rows >= 1 and rowLength >= 16");
    require(lr > 0 && minLrRatio >= 0 && minLrRatio <= 1, "lr > 0 and 0 <= minLrRatio <= 1");
    require(warmupSteps >= 0, "warmupSteps >= 0");
    require(hiddenSize % numHeads == 0, "hiddenSize must be a multiple of numHeads");
  }

  /** The committed tiny reasoner (data-samples/models/tiny-reasoner); see docs/MODELS.md. */
  public static TrainConfig tinyReasoner(int steps, long seed) {
    return new TrainConfig("qwen2", 192, 512, 4, 6, 2, true, steps, 22, 352, 4e-3, 0.05,
        Math.min(100, steps / 10), 0.1, 0.9, 0.98, 1.0, seed);
  }

  public TrainConfig withSteps(int newSteps) {
    return new TrainConfig(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
        tieWordEmbeddings, newSteps, rows, rowLength, lr, minLrRatio, Math.min(warmupSteps, newSteps / 10),
        weightDecay, beta1, beta2, clipNorm, seed);
  }

  /** Learning rate at a 0-based step: linear warmup, then half a cosine down to lr * minLrRatio. */
  public double lrAt(int step) {
    if (step < warmupSteps) return lr * (step + 1) / warmupSteps;
    double progress = steps <= warmupSteps ? 1 : (double) (step - warmupSteps) / (steps - warmupSteps);
    double cos = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    return lr * (minLrRatio + (1 - minLrRatio) * cos);
  }

  /** The HF config.json of the model (token ids are filled in by the directory writer). */
  public JsonObject modelJson(int vocabSize, int maxPositions) {
    JsonObject c = new JsonObject();
    c.add("architectures", new com.google.gson.JsonArray());
    c.getAsJsonArray("architectures").add(modelType.equals("qwen2") ? "Qwen2ForCausalLM" : "Qwen3ForCausalLM");
    c.addProperty("model_type", modelType);
    c.addProperty("vocab_size", vocabSize);
    c.addProperty("hidden_size", hiddenSize);
    c.addProperty("intermediate_size", intermediateSize);
    c.addProperty("num_hidden_layers", numLayers);
    c.addProperty("num_attention_heads", numHeads);
    c.addProperty("num_key_value_heads", numKvHeads);
    c.addProperty("head_dim", hiddenSize / numHeads);
    c.addProperty("hidden_act", "silu");
    c.addProperty("rms_norm_eps", 1e-6);
    c.addProperty("rope_theta", 10000.0);
    c.addProperty("max_position_embeddings", maxPositions);
    c.addProperty("tie_word_embeddings", tieWordEmbeddings);
    c.addProperty("use_sliding_window", false);
    c.addProperty("attention_bias", false);
    return c;
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }
}
