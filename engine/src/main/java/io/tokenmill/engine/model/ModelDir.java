package io.tokenmill.engine.model;

import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.engine.tokenizer.ChatTemplate;
import io.tokenmill.engine.tokenizer.ChatTemplateException;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.weights.Checkpoint;
import io.tokenmill.engine.weights.WeightSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A HF model directory, checked as a whole: config.json parses, generation_config.json (if any)
 * parses, the tokenizer loads, the chat template renders a sample conversation within its limits, and
 * every tensor's name, shape and dtype matches the config — without loading any weights. Downloaded
 * directories are untrusted: every problem is one {@link IllegalArgumentException} (or, from the
 * tokenizer, {@link UncheckedIOException}) line naming the file and the tensor or key. Spark drivers call {@link #validate} before any executor work; the engine then
 * loads the same directory.
 */
public final class ModelDir {

  private final Path path;
  private final ModelConfig config;
  private final GenerationDefaults generation;

  private ModelDir(Path path, ModelConfig config, GenerationDefaults generation) {
    this.path = path;
    this.config = config;
    this.generation = generation;
  }

  /** Parses the config files (cheap: no tensors, no tokenizer). */
  public static ModelDir open(Path path) {
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException("model directory " + path + " does not exist");
    }
    Path configFile = path.resolve("config.json");
    if (!Files.isRegularFile(configFile)) {
      throw new IllegalArgumentException(path + ": missing config.json");
    }
    return new ModelDir(path, ModelConfig.read(configFile), GenerationDefaults.read(path.resolve("generation_config.json")));
  }

  /** Opens and fully validates: tokenizer loads, every tensor header matches the config. */
  public static ModelDir validate(Path path) {
    ModelDir dir = open(path);
    try (Checkpoint ckpt = Checkpoint.open(path)) {
      new WeightSchema(dir.config).validate(ckpt);
    }
    try (ModelTokenizer tok = dir.tokenizer()) {
      if (tok.vocabulary().size() > dir.config.vocabSize()) {
        throw new IllegalArgumentException(path + ": tokenizer has " + tok.vocabulary().size()
            + " tokens but config.json vocab_size is " + dir.config.vocabSize());
      }
      for (Map.Entry<String, Integer> t : tok.vocabulary().entrySet()) {
        if (t.getValue() >= dir.config.vocabSize()) {
          throw new IllegalArgumentException(path + ": tokenizer.json gives token '" + shorten(t.getKey())
              + "' id " + t.getValue() + ", outside config.json vocab_size " + dir.config.vocabSize());
        }
      }
      tok.chatTemplate().ifPresent(t -> trialRender(path, tok.chatTemplateSource(), t));
    }
    return dir;
  }

  /**
   * A sample conversation, so that a chat template that cannot render, or that loops, grows or nests
   * past {@link ChatTemplate}'s limits, fails here on the driver instead of in every executor row.
   */
  static final List<ChatMessage> SAMPLE_CONVERSATION = List.of(ChatMessage.user("What is 2 + 2?"),
      ChatMessage.assistant("4"), ChatMessage.user("And 3 + 3?"));

  private static void trialRender(Path path, String source, ChatTemplate template) {
    try {
      template.render(SAMPLE_CONVERSATION, true, true);
    } catch (ChatTemplateException e) {
      if (!e.raisedByTemplate()) {
        throw new IllegalArgumentException(path + ": " + source + ": " + e.getMessage());
      }
      // raise_exception(): the template ran within its limits and refused this conversation on purpose
      // (some refuse a conversation without a system turn, or without tools); jobs may still use it.
    }
  }

  private static String shorten(String s) {
    return s.length() > 40 ? s.substring(0, 37) + "..." : s;
  }

  public Path path() {
    return path;
  }

  public ModelConfig config() {
    return config;
  }

  public GenerationDefaults generation() {
    return generation;
  }

  /** Loads the tokenizer (the caller closes it). */
  public ModelTokenizer tokenizer() {
    try {
      return ModelTokenizer.load(path);
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot load tokenizer: " + e.getMessage(), e);
    }
  }

  /** End-of-sequence ids: the union of config.json, generation_config.json and the tokenizer's. */
  public int[] eosIds(ModelTokenizer tokenizer) {
    return IntStream.concat(IntStream.concat(Arrays.stream(config.eosTokenIds()),
        Arrays.stream(generation.eosTokenIds())), Arrays.stream(tokenizer.eosIds())).distinct().toArray();
  }
}
