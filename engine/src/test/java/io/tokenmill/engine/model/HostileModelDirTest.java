package io.tokenmill.engine.model;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.weights.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model directories are downloaded, so they are hostile until validated: every malformed file and every
 * abusive chat template makes {@link ModelDir#validate} (what the Spark and local drivers call before any
 * work) fail with one line naming the file and the tensor or key, no library stack trace or class name,
 * within bounded time and memory. Each case corrupts a copy of one real, valid model directory.
 */
class HostileModelDirTest {

  @TempDir static Path tmp;
  static Path valid;

  /** Generous: a hang guard, not a performance assertion. */
  static final Duration HANG_GUARD = Duration.ofSeconds(20);
  static final String CONFIG = "config.json";
  static final String WEIGHTS = "model.safetensors";
  static final String TOKENIZER_CONFIG = "tokenizer_config.json";
  static final String TEMPLATE = "chat_template";

  /** Fully qualified Java names or exception class names in a message mean a library error leaked through. */
  static final Pattern LEAK = Pattern.compile(
      "\\b(java|javax|jdk|sun|com|org|jinjava|de\\.odysseus)\\.[a-z]+\\.|[A-Za-z]+(Exception|Error)\\b|\\tat ");

  @BeforeAll
  static void makeValidModel() throws IOException {
    valid = tmp.resolve("valid");
    ModelMaker.make(Path.of("..", "conf", "models", "qwen3-0.6b"), valid,
        new ModelMaker.Options(3, DType.F32, Map.of("num_hidden_layers", "2", "vocab_size", "600",
            "hidden_size", "64", "intermediate_size", "128", "num_attention_heads", "4", "num_key_value_heads", "2",
            "head_dim", "16", "max_position_embeddings", "2048"), null, 1L << 30, false));
  }

  /** One hostile variant: what to break, and what the error must name. */
  record Case(String name, String file, String key, Corruption corrupt) {
    @Override
    public String toString() {
      return name;
    }
  }

  @FunctionalInterface
  interface Corruption {
    void apply(Path dir) throws IOException;
  }

  static Stream<Case> cases() {
    List<Case> c = new ArrayList<>();
    // --- safetensors headers
    c.add(new Case("header length past the end of the file", WEIGHTS, "header length",
        d -> writeWeights(d, 1_000_000, "{}", 8)));
    c.add(new Case("header length huge", WEIGHTS, "header length", d -> writeWeights(d, Long.MAX_VALUE, "{}", 8)));
    c.add(new Case("header length negative", WEIGHTS, "header length", d -> writeWeights(d, -8, "{}", 8)));
    c.add(new Case("header shorter than its JSON", WEIGHTS, "header",
        d -> writeWeights(d, 20, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8)));
    c.add(new Case("header not JSON", WEIGHTS, "header", d -> weights(d, "{not json at all", 8)));
    c.add(new Case("header not an object", WEIGHTS, "header", d -> weights(d, "[1, 2, 3]", 8)));
    c.add(new Case("tensor entry not an object", WEIGHTS, "tensor 'w'", d -> weights(d, "{\"w\": 5}", 8)));
    c.add(new Case("tensor without dtype", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8)));
    c.add(new Case("tensor without shape", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8)));
    c.add(new Case("tensor without data_offsets", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8)));
    c.add(new Case("dtype not a string", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":[\"F32\"],\"shape\":[2],\"data_offsets\":[0,8]}}", 8)));
    c.add(new Case("unknown dtype", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 8)));
    c.add(new Case("shape holds a string", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"two\"],\"data_offsets\":[0,8]}}", 8)));
    c.add(new Case("negative dimension", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,-1],\"data_offsets\":[0,8]}}", 8)));
    c.add(new Case("shape product overflows a long", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8)));
    c.add(new Case("data_offsets out of range", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,800]}}", 8)));
    c.add(new Case("data_offsets of three numbers", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", 8)));
    c.add(new Case("data_offsets not matching shape and dtype", WEIGHTS, "tensor 'w'",
        d -> weights(d, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 12)));
    c.add(new Case("overlapping tensors", WEIGHTS, "tensor 'b'",
        d -> weights(d, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12)));
    c.add(new Case("non-string metadata", WEIGHTS, "__metadata__",
        d -> weights(d, "{\"__metadata__\":{\"format\":{\"nested\":1}}}", 0)));
    c.add(new Case("metadata not an object", WEIGHTS, "__metadata__", d -> weights(d, "{\"__metadata__\":7}", 0)));
    c.add(new Case("weight_map value not a file name", "model.safetensors.index.json", "weight_map",
        d -> Files.writeString(d.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"w\":{\"f\":1}}}")));
    c.add(new Case("weight_map not an object", "model.safetensors.index.json", "weight_map",
        d -> Files.writeString(d.resolve("model.safetensors.index.json"), "{\"weight_map\":[1]}")));
    // --- config.json
    c.add(new Case("a billion layers", CONFIG, "num_hidden_layers", d -> config(d, "num_hidden_layers", 1_000_000_000)));
    c.add(new Case("more layers than the checkpoint holds", CONFIG, "num_hidden_layers",
        d -> config(d, "num_hidden_layers", 300)));
    c.add(new Case("max_position_embeddings of 2^31-1", CONFIG, "max_position_embeddings",
        d -> config(d, "max_position_embeddings", Integer.MAX_VALUE)));
    c.add(new Case("size given as a string", CONFIG, "hidden_size", d -> config(d, "hidden_size", "sixty-four")));
    c.add(new Case("size given as a fraction", CONFIG, "intermediate_size", d -> config(d, "intermediate_size", 127.5)));
    c.add(new Case("size beyond int", CONFIG, "vocab_size", d -> config(d, "vocab_size", 1e12)));
    c.add(new Case("zero heads", CONFIG, "num_attention_heads", d -> config(d, "num_attention_heads", 0)));
    c.add(new Case("negative vocabulary", CONFIG, "vocab_size", d -> config(d, "vocab_size", -600)));
    c.add(new Case("hidden size not divisible by heads", CONFIG, "hidden_size", d -> {
      config(d, "head_dim", null);
      config(d, "hidden_size", 65);
    }));
    c.add(new Case("eos id not a number", CONFIG, "eos_token_id", d -> config(d, "eos_token_id", "</s>")));
    c.add(new Case("empty bos id list", CONFIG, "bos_token_id", d -> config(d, "bos_token_id", List.of())));
    c.add(new Case("boolean given as a string", CONFIG, "tie_word_embeddings",
        d -> config(d, "tie_word_embeddings", "yes")));
    c.add(new Case("model_type an object", CONFIG, "model_type", d -> config(d, "model_type", Map.of("a", 1))));
    c.add(new Case("rope_scaling a string", CONFIG, "rope_scaling", d -> config(d, "rope_scaling", "llama3")));
    c.add(new Case("config.json not JSON", CONFIG, CONFIG, d -> Files.writeString(d.resolve(CONFIG), "{\"a\":")));
    c.add(new Case("config.json a list", CONFIG, CONFIG, d -> Files.writeString(d.resolve(CONFIG), "[]")));
    c.add(new Case("generation_config.json wrong type", "generation_config.json", "temperature",
        d -> Files.writeString(d.resolve("generation_config.json"), "{\"temperature\": {\"a\": 1}}")));
    // --- tokenizer files
    c.add(new Case("tokenizer.json not JSON", "tokenizer.json", "tokenizer.json",
        d -> Files.writeString(d.resolve("tokenizer.json"), "{\"model\": ")));
    c.add(new Case("vocab id not a number", "tokenizer.json", "vocab",
        d -> Files.writeString(d.resolve("tokenizer.json"), "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":\"x\"}}}")));
    c.add(new Case("added token without content", "tokenizer.json", "added_tokens",
        d -> Files.writeString(d.resolve("tokenizer.json"), "{\"added_tokens\":[{\"id\":3}]}")));
    c.add(new Case("tokenizer.json the tokenizers library rejects", "tokenizer.json", "tokenizer.json",
        d -> Files.writeString(d.resolve("tokenizer.json"), "{\"model\":{\"type\":\"Nonsense\",\"vocab\":{\"a\":0}}}")));
    c.add(new Case("token id beyond vocab_size", "tokenizer.json", "vocab_size", d -> {
      JsonObject t = json(d, "tokenizer.json");
      t.getAsJsonArray("added_tokens").get(0).getAsJsonObject().addProperty("id", 1_000_000);
      Files.writeString(d.resolve("tokenizer.json"), t.toString());
    }));
    c.add(new Case("tokenizer_config.json not JSON", TOKENIZER_CONFIG, TOKENIZER_CONFIG,
        d -> Files.writeString(d.resolve(TOKENIZER_CONFIG), "not json")));
    c.add(new Case("eos_token content not a string", TOKENIZER_CONFIG, "eos_token",
        d -> tokenizerConfig(d, "eos_token", Map.of("content", List.of(1)))));
    c.add(new Case("chat_template a number", TOKENIZER_CONFIG, TEMPLATE, d -> tokenizerConfig(d, TEMPLATE, 42)));
    c.add(new Case("chat_template list of strings", TOKENIZER_CONFIG, TEMPLATE,
        d -> tokenizerConfig(d, TEMPLATE, List.of("a"))));
    c.add(new Case("chat_template entry template not a string", TOKENIZER_CONFIG, TEMPLATE,
        d -> tokenizerConfig(d, TEMPLATE, List.of(Map.of("name", "default", "template", Map.of("x", 1))))));
    // --- chat templates: sandbox
    c.add(template("include of a classpath resource", "{% include 'META-INF/MANIFEST.MF' %}"));
    c.add(template("import", "{% import 'macros.j2' as m %}{{ m.x() }}"));
    c.add(template("from import", "{% from 'macros.j2' import x %}{{ x() }}"));
    c.add(template("extends", "{% extends 'base.j2' %}"));
    c.add(template("render filter", "{{ \"{% include 'META-INF/MANIFEST.MF' %}\"|render }}"));
    c.add(template("Java method on a string", "{{ 'x'.repeat(2000000000) }}"));
    c.add(template("Java method on a list", "{{ messages.getClass() }}{{ messages.subList(0, 1) }}"));
    c.add(template("string replace that explodes",
        "{% set ns = namespace(x='ab') %}{% for i in range(19) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}"
            + "{{ ns.x.replace('a', ns.x) }}"));
    c.add(template("padding filter of a huge width", "{{ 'x'|center(2000000000) }}"));
    // --- chat templates: time, memory, depth
    c.add(template("nested loops that never finish",
        "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}"
            + "{% endfor %}"));
    c.add(template("string doubling",
        "{% set ns = namespace(x='ab') %}{% for i in range(64) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x }}"));
    c.add(template("list doubling",
        "{% set ns = namespace(x=[1]) %}{% for i in range(64) %}{% set ns.x = ns.x + ns.x %}{% endfor %}"
            + "{{ ns.x|length }}"));
    c.add(template("many distinct big strings",
        "{% set ns = namespace(x='ab', l=[]) %}{% for i in range(18) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}"
            + "{% for i in range(1000) %}{% for j in range(1000) %}{% do ns.l.append(ns.x ~ i ~ j) %}{% endfor %}"
            + "{% endfor %}{{ ns.l|length }}"));
    c.add(template("output far too long",
        "{% for a in range(1000) %}{% for b in range(1000) %}0123456789{% endfor %}{% endfor %}"));
    c.add(template("3,000 nested ifs", "{% if true %}".repeat(3000) + "x" + "{% endif %}".repeat(3000)));
    c.add(template("expression nested 20,000 deep", "{{ " + "(".repeat(20_000) + "1" + ")".repeat(20_000) + " }}"));
    c.add(template("value nested 100,000 deep",
        "{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% for j in range(100) %}{% set ns.x = [ns.x] %}"
            + "{% endfor %}{% endfor %}{{ ns.x|tojson }}"));
    c.add(template("template of 1.5 million unclosed tags", "{{ x ".repeat(300_000)));
    return c.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void hostileModelDirFailsValidationWithOneClearLine(Case c) throws IOException {
    Path dir = copyOfValid(c.name());
    c.corrupt().apply(dir);
    RuntimeException e = assertTimeoutPreemptively(HANG_GUARD,
        () -> assertThrows(RuntimeException.class, () -> ModelDir.validate(dir)), c.name() + " did not fail in time");
    assertOneClearLine(e, c.file(), c.key());
  }

  @Test
  void theUncorruptedCopyValidates() throws IOException {
    Path dir = copyOfValid("untouched");
    assertDoesNotThrow(() -> ModelDir.validate(dir));
  }

  @Test
  void symlinkedFilesAsInTheHfCacheStillValidate() throws IOException {
    Path blobs = Files.createDirectories(tmp.resolve("blobs"));
    Path snapshot = Files.createDirectories(tmp.resolve("snapshot"));
    try (Stream<Path> files = Files.list(valid)) {
      for (Path f : files.toList()) {
        Path blob = Files.copy(f, blobs.resolve("blob-" + f.getFileName()));
        Files.createSymbolicLink(snapshot.resolve(f.getFileName()), blob);
      }
    }
    assertDoesNotThrow(() -> ModelDir.validate(snapshot));
  }

  static void assertOneClearLine(Throwable e, String file, String key) {
    String m = e.getMessage();
    assertTrue(e instanceof IllegalArgumentException || e instanceof UncheckedIOException,
        () -> "not a user error: " + e);
    assertNotNull(m, () -> "no message: " + e);
    assertTrue(m.contains(file), () -> "does not name " + file + ": " + m);
    assertTrue(m.contains(key), () -> "does not name " + key + ": " + m);
    assertFalse(m.contains("\n"), () -> "more than one line: " + m);
    assertFalse(LEAK.matcher(m).find(), () -> "leaks a library error: " + m);
    assertTrue(m.length() < 1000, () -> "not a short line (" + m.length() + " chars): " + m.substring(0, 300));
  }

  static Case template(String name, String template) {
    return new Case(name, TOKENIZER_CONFIG, TEMPLATE, d -> tokenizerConfig(d, TEMPLATE, template));
  }

  static Path copyOfValid(String name) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name.replaceAll("[^A-Za-z0-9]+", "-")));
    try (Stream<Path> files = Files.list(valid)) {
      for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
    }
    return dir;
  }

  static JsonObject json(Path dir, String file) throws IOException {
    return JsonParser.parseString(Files.readString(dir.resolve(file))).getAsJsonObject();
  }

  /** Sets (or with null removes) one key of config.json. */
  static void config(Path dir, String key, Object value) throws IOException {
    setKey(dir, CONFIG, key, value);
  }

  static void tokenizerConfig(Path dir, String key, Object value) throws IOException {
    setKey(dir, TOKENIZER_CONFIG, key, value);
  }

  static void setKey(Path dir, String file, String key, Object value) throws IOException {
    JsonObject j = json(dir, file);
    if (value == null) {
      j.remove(key);
    } else {
      j.add(key, new com.google.gson.Gson().toJsonTree(value));
    }
    Files.writeString(dir.resolve(file), j.toString());
  }

  /** Replaces the weights with one safetensors file of this header and {@code dataBytes} zero bytes. */
  static void weights(Path dir, String header, int dataBytes) throws IOException {
    writeWeights(dir, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
  }

  static void writeWeights(Path dir, long declaredHeaderLength, String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(declaredHeaderLength).put(h);
    Files.deleteIfExists(dir.resolve("model.safetensors.index.json"));
    Files.write(dir.resolve(WEIGHTS), b.array());
  }
}
