package io.tokenmill.reasoner;

import com.google.gson.JsonObject;
import io.tokenmill.reasoner.tasks.TaskMix;

/**
 * Everything a training run depends on: the decoder's shape (written out as a HF config.json) and the
 * optimisation settings. Same config + same seed = same model (up to libtorch's float reductions).
 *
 * @param rows packed rows per step; each row holds whole problems (no problem is split)
 * @param rowLength tokens per packed row; longer than the longest problem
 * @param warmupSteps linear warmup from 0 to {@code lr}; then cosine decay to {@code lr * minLrRatio}
 * @param tasks the training task mix, as {@link TaskMix#parse} reads it
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
    long seed,
    String tasks) {

  public TrainConfig {
    require(modelType.equals("qwen2") || modelType.equals("qwen3"), "modelType must be qwen2 or qwen3");
    require(steps >= 1, "steps must be >= 1");
    require(rows >= 1 && rowLength >= 16, "rows >= 1 and rowLength >= 16");
    require(lr > 0 && minLrRatio >= 0 && minLrRatio <= 1, "lr > 0 and 0 <= minLrRatio <= 1");
    require(warmupSteps >= 0, "warmupSteps >= 0");
    require(hiddenSize % numHeads == 0, "hiddenSize must be a multiple of numHeads");
    require(numHeads % numKvHeads == 0, "numHeads must be a multiple of numKvHeads");
    TaskMix.parse(tasks);
  }

  /** The task mix this config trains on. */
  public TaskMix taskMix() {
    return TaskMix.parse(tasks);
  }

  /** The committed tiny reasoner (data-samples/models/tiny-reasoner); see docs/MODELS.md. */
  public static TrainConfig tinyReasoner(int steps, long seed) {
    return new TrainConfig("qwen2", 192, 512, 4, 6, 2, true, steps, 22, 352, 4e-3, 0.05,
        Math.min(100, steps / 10), 0.1, 0.9, 0.98, 1.0, seed, TaskMix.ARITHMETIC.toString());
  }

  public TrainConfig withSteps(int newSteps) {
    return new TrainConfig(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
        tieWordEmbeddings, newSteps, rows, rowLength, lr, minLrRatio, Math.min(warmupSteps, newSteps / 10),
        weightDecay, beta1, beta2, clipNorm, seed, tasks);
  }

  /** The same run on another task mix. */
  public TrainConfig withTasks(String newTasks) {
    return new TrainConfig(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
        tieWordEmbeddings, steps, rows, rowLength, lr, minLrRatio, warmupSteps, weightDecay, beta1, beta2,
        clipNorm, seed, newTasks);
  }

  /** Another decoder shape (hidden, MLP, layers, query heads, KV heads). */
  public TrainConfig withShape(int hidden, int intermediate, int layers, int heads, int kvHeads) {
    return new TrainConfig(modelType, hidden, intermediate, layers, heads, kvHeads, tieWordEmbeddings, steps,
        rows, rowLength, lr, minLrRatio, warmupSteps, weightDecay, beta1, beta2, clipNorm, seed, tasks);
  }

  /** Another step batch: {@code newRows} packed rows of {@code newRowLength} tokens. */
  public TrainConfig withBatch(int newRows, int newRowLength) {
    return new TrainConfig(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
        tieWordEmbeddings, steps, newRows, newRowLength, lr, minLrRatio, warmupSteps, weightDecay, beta1, beta2,
        clipNorm, seed, tasks);
  }

  /** Another peak learning rate. */
  public TrainConfig withLr(double newLr) {
    return new TrainConfig(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
        tieWordEmbeddings, steps, rows, rowLength, newLr, minLrRatio, warmupSteps, weightDecay, beta1, beta2,
        clipNorm, seed, tasks);
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
