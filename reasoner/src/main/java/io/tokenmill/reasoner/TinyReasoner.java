package io.tokenmill.reasoner;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.tokenizer.ChatFormat;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.tokenizer.TokenizerWriter;
import io.tokenmill.engine.weights.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Trains the tiny reasoner ({@code bin/tokenmill train-tiny}) and writes it as an ordinary HF model
 * directory: the byte-level tokenizer of {@link TokenizerWriter} with the DeepSeek-R1 chat format (its
 * generation prompt opens the think block, so the model's output starts with its reasoning), a
 * config.json of the chosen family (recording how it was made under {@code tokenmill_training}), and
 * model.safetensors under HF names. The engine loads the result like any downloaded checkpoint.
 */
public final class TinyReasoner {

  /** Steps of the committed model's run (docs/MODELS.md). */
  public static final int DEFAULT_STEPS = 1200;

  /** Chat format of the trained model. */
  public static final ChatFormat FORMAT = ChatFormat.DEEPSEEK_R1;

  /**
   * max_position_embeddings: the longest seating problem is ~2,100 tokens (prompt + search); room for
   * budget-forced tails. RoPE has no position table, so this costs nothing.
   */
  public static final int MAX_POSITIONS = 4096;

  /** Vocabulary = the tokenizer: 256 byte tokens + the format's special tokens + think tags. */
  public static final int VOCAB_SIZE = TokenizerWriter.BYTE_TOKENS + FORMAT.addedTokens().size();

  /** What a run produced. */
  public record Result(ModelConfig config, long parameters, List<Trainer.LogLine> log, double trainSeconds,
      double totalSeconds) {}

  private TinyReasoner() {}

  /** Trains with {@code config} and writes the model directory {@code out}. */
  public static Result train(TrainConfig config, Path out, boolean overwrite, int logEvery,
      Consumer<String> log) throws IOException {
    return train(config, out, overwrite, logEvery, 0, log);
  }

  /** As above, probing held-out exact reproduction every {@code probeEvery} steps (0 = never). */
  public static Result train(TrainConfig config, Path out, boolean overwrite, int logEvery, int probeEvery,
      Consumer<String> log) throws IOException {
    return train(config, out, overwrite, logEvery, probeEvery, 0, null, null, log);
  }

  /**
   * As above, and every {@code checkpointEvery} steps writes the model so far as an ordinary model
   * directory {@code checkpoints/step-N} (config.json records the steps done and the loss curve so far),
   * and starts from the weights of {@code initFrom} (a model dir of the same shape, e.g. a checkpoint or
   * the previous model, or one with fewer key/value heads or layers, grown by
   * {@link TrainableDecoder#grow}) instead of random ones when it is not null. Optimizer moments start at
   * zero.
   */
  public static Result train(TrainConfig config, Path out, boolean overwrite, int logEvery, int probeEvery,
      int checkpointEvery, Path checkpoints, Path initFrom, Consumer<String> log) throws IOException {
    long t0 = System.nanoTime();
    if (Files.exists(out) && !overwrite) {
      try (Stream<Path> s = Files.list(out)) {
        if (s.findAny().isPresent()) {
          throw new IllegalArgumentException(out + " exists and is not empty (use --force to replace it)");
        }
      }
    }
    JsonObject json = config.modelJson(VOCAB_SIZE, MAX_POSITIONS);
    ModelConfig modelConfig = ModelConfig.fromJson(json);
    Path scratch = Files.createTempDirectory("tokenmill-train-tokenizer");
    try (ModelTokenizer tokenizer = tokenizer(scratch);
        TrainableDecoder model = initFrom == null ? TrainableDecoder.init(modelConfig, config.seed())
            : TrainableDecoder.grow(modelConfig, initFrom, config.seed())) {
      if (initFrom != null) {
        ModelConfig from = ModelConfig.read(initFrom.resolve("config.json"));
        log.accept("starting from the weights of " + initFrom
            + (from.numKvHeads() == modelConfig.numKvHeads() && from.numLayers() == modelConfig.numLayers() ? ""
                : String.format(" grown from %d to %d key/value heads and %d to %d layers (same function)",
                    from.numKvHeads(), modelConfig.numKvHeads(), from.numLayers(), modelConfig.numLayers())));
      }
      log.accept(String.format("training %s: %,d parameters, %d steps of %d x %d tokens, seed %d",
          modelConfig, model.parameterCount(), config.steps(), config.rows(), config.rowLength(), config.seed()));
      long tTrain = System.nanoTime();
      Trainer.Checkpoint checkpoint = checkpoints == null ? null : (step, soFar) -> {
        Path dir = checkpoints.resolve(String.format("step-%05d", step));
        JsonObject p = provenance(config, soFar, (System.nanoTime() - tTrain) / 1e9, initFrom);
        p.addProperty("steps_done", step);
        export(model, config, p, dir, true);
        log.accept("checkpoint " + dir);
      };
      List<Trainer.LogLine> lines = new Trainer(config, new ProblemEncoder(tokenizer))
          .run(model, logEvery, probeEvery, line -> log.accept(line.toString()), log, checkpointEvery, checkpoint);
      double trainSeconds = (System.nanoTime() - tTrain) / 1e9;
      export(model, config, provenance(config, lines, trainSeconds, initFrom), out, overwrite);
      double total = (System.nanoTime() - t0) / 1e9;
      log.accept(String.format("wrote %s (training %.0f s, total %.0f s)", out, trainSeconds, total));
      return new Result(modelConfig, model.parameterCount(), lines, trainSeconds, total);
    } finally {
      deleteRecursively(scratch);
    }
  }

  /**
   * Writes {@code model} as a HF model directory through {@link ModelMaker#write} (the writer random
   * models use too), float32, with {@code provenance} under {@code tokenmill_training} in config.json.
   */
  public static void export(TrainableDecoder model, TrainConfig config, JsonObject provenance, Path out,
      boolean overwrite) throws IOException {
    JsonObject json = config.modelJson(VOCAB_SIZE, MAX_POSITIONS);
    json.add("tokenmill_training", provenance);
    ModelMaker.write(json, FORMAT, out, c -> model.export(), DType.F32, Long.MAX_VALUE, overwrite);
  }

  /** The tokenizer the model is trained with: the same files {@link ModelMaker#write} puts in the model dir. */
  static ModelTokenizer tokenizer(Path dir) throws IOException {
    TokenizerWriter.write(dir, VOCAB_SIZE, FORMAT, MAX_POSITIONS);
    return ModelTokenizer.load(dir);
  }

  private static JsonObject provenance(TrainConfig config, List<Trainer.LogLine> lines, double seconds,
      Path initFrom) {
    JsonObject o = new GsonBuilder().create().toJsonTree(config).getAsJsonObject();
    if (initFrom != null) o.addProperty("init_from", initFrom.toString());
    o.addProperty("command", "bin/tokenmill train-tiny --steps " + config.steps() + " --seed " + config.seed()
        + " --tasks " + config.tasks() + " --shape " + config.hiddenSize() + "," + config.intermediateSize() + ","
        + config.numLayers() + "," + config.numHeads() + "," + config.numKvHeads()
        + " --batch " + config.rows() + "x" + config.rowLength() + " --lr " + config.lr());
    o.addProperty("train_seconds", Math.round(seconds));
    JsonArray loss = new JsonArray();
    for (Trainer.LogLine l : lines) {
      JsonArray point = new JsonArray();
      point.add(l.step());
      point.add(Math.round(l.loss() * 1e4) / 1e4);
      loss.add(point);
    }
    o.add("loss_curve", loss);
    return o;
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
    }
  }
}
