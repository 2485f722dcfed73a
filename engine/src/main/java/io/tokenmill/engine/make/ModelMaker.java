package io.tokenmill.engine.make;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.tokenizer.ChatFormat;
import io.tokenmill.engine.tokenizer.SpecialTokenIds;
import io.tokenmill.engine.tokenizer.TokenizerWriter;
import io.tokenmill.engine.weights.DType;
import io.tokenmill.engine.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a complete random-weight HF model directory from a real model's {@code config.json}
 * (`bin/tokenmill make-model`): config.json (with {@code --set} overrides applied and token ids
 * matching the written tokenizer), generation_config.json, tokenizer.json, tokenizer_config.json
 * with a chat template, and model.safetensors (or shards). The directory is assembled under a
 * temporary name and renamed into place, so a failure never leaves a half-written model.
 */
public final class ModelMaker {

  /** What to write. {@code chatFormat} null means the family's default (or the preset's). */
  public record Options(long seed, DType dtype, Map<String, String> overrides, ChatFormat chatFormat,
      long maxShardBytes, boolean overwrite) {
    public Options {
      overrides = Map.copyOf(overrides);
      if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be > 0");
    }

    public static Options defaults() {
      return new Options(0, DType.F32, Map.of(), null, 4L << 30, false);
    }
  }

  private ModelMaker() {}

  /**
   * @param configSource a config.json file, or a directory holding one (and optionally a
   *     {@code preset.json} naming its chat format, as conf/models/ presets do)
   */
  public static ModelConfig make(Path configSource, Path out, Options options) throws IOException {
    Path configFile = Files.isDirectory(configSource) ? configSource.resolve("config.json") : configSource;
    if (!Files.isRegularFile(configFile)) {
      throw new IllegalArgumentException(configFile + ": no such config file");
    }
    JsonObject json = JsonParser.parseString(Files.readString(configFile)).getAsJsonObject();
    options.overrides().forEach((k, v) -> set(json, k, v));
    ModelConfig config;
    try {
      config = ModelConfig.fromJson(json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(configFile + " (after --set): " + e.getMessage(), e);
    }
    ChatFormat format = options.chatFormat() != null ? options.chatFormat()
        : presetFormat(configFile.getParent()).orElse(ChatFormat.defaultFor(config.modelType()));
    json.addProperty("tokenmill_random_weights_seed", options.seed());
    write(json, format, out, c -> RandomWeights.tensors(c, options.seed()), options.dtype(),
        options.maxShardBytes(), options.overwrite());
    return config;
  }

  /** The weights of a model directory, produced once its config is known. */
  @FunctionalInterface
  public interface WeightSource {
    List<SafetensorsWriter.Tensor> tensors(ModelConfig config);
  }

  /**
   * Writes a complete HF model directory for a config.json object and a weight source — random weights
   * ({@link #make}) or trained ones ({@code io.tokenmill.reasoner}): config.json with the written
   * tokenizer's special-token ids, generation_config.json, tokenizer.json, tokenizer_config.json with the
   * format's chat template, and model.safetensors (or shards). Assembled under a temporary name and
   * renamed into place.
   *
   * @return the config the weights were produced for
   */
  public static ModelConfig write(JsonObject json, ChatFormat format, Path out, WeightSource weights, DType dtype,
      long maxShardBytes, boolean overwrite) throws IOException {
    json = json.deepCopy();
    ModelConfig config = ModelConfig.fromJson(json);
    if (Files.exists(out) && !isEmptyDir(out) && !overwrite) {
      throw new IllegalArgumentException(out + " exists and is not empty (use --force to replace it)");
    }
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    deleteRecursively(tmp);
    Files.createDirectories(tmp);
    try {
      SpecialTokenIds ids = TokenizerWriter.write(tmp, config.vocabSize(), format,
          Math.min(config.maxPositionEmbeddings(), TokenizerWriter.DEFAULT_MODEL_MAX_LENGTH));
      // The written tokenizer numbers its special tokens itself; the config must point at them.
      if (ids.bos() >= 0) json.addProperty("bos_token_id", ids.bos()); else json.add("bos_token_id", null);
      JsonArray eos = new JsonArray();
      for (int id : ids.eos()) eos.add(id);
      json.add("eos_token_id", eos.size() == 1 ? eos.get(0) : eos);
      json.addProperty("pad_token_id", ids.pad());
      json.addProperty("torch_dtype", switch (dtype) {
        case F32 -> "float32";
        case F16 -> "float16";
        case BF16 -> "bfloat16";
      });
      var gson = new GsonBuilder().setPrettyPrinting().serializeNulls().create();
      Files.writeString(tmp.resolve("config.json"), gson.toJson(json));
      JsonObject gen = new JsonObject();
      if (ids.bos() >= 0) gen.addProperty("bos_token_id", ids.bos());
      gen.add("eos_token_id", eos.size() == 1 ? eos.get(0) : eos);
      gen.addProperty("pad_token_id", ids.pad());
      gen.addProperty("do_sample", false);
      Files.writeString(tmp.resolve("generation_config.json"), gson.toJson(gen));
      SafetensorsWriter.write(tmp, weights.tensors(config), dtype, maxShardBytes);
      if (Files.exists(out)) deleteRecursively(out);
      Files.move(tmp, out);
    } catch (IOException | RuntimeException e) {
      deleteRecursively(tmp);
      throw e;
    }
    return config;
  }

  /** Applies one {@code key=value}; dotted keys reach into objects; values parse as JSON when they can. */
  static void set(JsonObject json, String key, String value) {
    String[] path = key.split("\\.");
    JsonObject target = json;
    for (int i = 0; i < path.length - 1; i++) {
      JsonElement child = target.get(path[i]);
      if (child == null || !child.isJsonObject()) {
        child = new JsonObject();
        target.add(path[i], child);
      }
      target = child.getAsJsonObject();
    }
    JsonElement parsed;
    try {
      parsed = JsonParser.parseString(value);
    } catch (RuntimeException e) {
      parsed = new com.google.gson.JsonPrimitive(value);
    }
    target.add(path[path.length - 1], parsed);
  }

  /** Parses repeated {@code key=value} arguments. */
  public static Map<String, String> parseOverrides(Iterable<String> settings) {
    Map<String, String> map = new LinkedHashMap<>();
    for (String s : settings) {
      int eq = s.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--set expects key=value, got '" + s + "'");
      map.put(s.substring(0, eq).trim(), s.substring(eq + 1).trim());
    }
    return map;
  }

  private static java.util.Optional<ChatFormat> presetFormat(Path dir) throws IOException {
    Path preset = dir == null ? null : dir.resolve("preset.json");
    if (preset == null || !Files.isRegularFile(preset)) return java.util.Optional.empty();
    JsonObject p = JsonParser.parseString(Files.readString(preset)).getAsJsonObject();
    return p.has("chat_format")
        ? java.util.Optional.of(ChatFormat.fromName(p.get("chat_format").getAsString().toLowerCase(Locale.ROOT)))
        : java.util.Optional.empty();
  }

  private static boolean isEmptyDir(Path p) throws IOException {
    if (!Files.isDirectory(p)) return false;
    try (Stream<Path> s = Files.list(p)) {
      return s.findAny().isEmpty();
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
    }
  }
}
