package io.tokenmill.engine.make;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.runtime.EngineVsReferenceTest;
import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * make-model on the real models' configs (one layer, small vocab and MLP, real head geometry, RoPE and
 * options): the directory validates, the tokenizer and chat template work, and the engine's logits on
 * it match the float64 reference.
 */
class ModelMakerTest {

  @TempDir Path tmp;

  static Path preset(String name) {
    return Path.of("..", "conf", "models", name);
  }

  static final Map<String, String> SHRINK = Map.of("num_hidden_layers", "1", "vocab_size", "600",
      "intermediate_size", "256", "max_position_embeddings", "4096");

  @ParameterizedTest
  @ValueSource(strings = {"qwen2.5-0.5b-instruct", "deepseek-r1-distill-qwen-1.5b", "qwen3-0.6b", "llama-3.2-1b-instruct"})
  void shrunkRealArchitecturesMatchReference(String name) throws Exception {
    Path out = tmp.resolve(name);
    ModelConfig c = ModelMaker.make(preset(name), out,
        new ModelMaker.Options(11, DType.BF16, SHRINK, null, 1L << 30, false));
    assertEquals(1, c.numLayers());
    ModelDir dir = ModelDir.validate(out);
    try (ModelTokenizer tok = dir.tokenizer()) {
      int[] eos = dir.eosIds(tok);
      assertTrue(eos.length > 0 && java.util.Arrays.stream(eos).allMatch(id -> id < 600), "eos ids follow the tokenizer");
      String prompt = tok.chatTemplate().orElseThrow().render(List.of(ChatMessage.user("2+2?")), true, true);
      int[] ids = tok.encode(prompt);
      assertEquals(prompt, tok.decode(ids));
      if (name.startsWith("deepseek")) assertTrue(prompt.endsWith("<think>\n"), prompt);
      EngineVsReferenceTest.assertMatchesReference(out, java.util.Arrays.copyOf(ids, Math.min(ids.length, 12)));
    }
  }

  @Test
  void refusesToOverwriteUnlessForcedAndLeavesNoPartialDirectory() throws Exception {
    Path out = tmp.resolve("m");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "x");
    var opts = new ModelMaker.Options(1, DType.F32, SHRINK, null, 1L << 30, false);
    var e = assertThrows(IllegalArgumentException.class, () -> ModelMaker.make(preset("qwen3-0.6b"), out, opts));
    assertTrue(e.getMessage().contains("--force"), e.getMessage());
    assertTrue(Files.exists(out.resolve("keep.txt")));

    var bad = new ModelMaker.Options(1, DType.F32, Map.of("num_key_value_heads", "5"), null, 1L << 30, true);
    e = assertThrows(IllegalArgumentException.class, () -> ModelMaker.make(preset("qwen3-0.6b"), out, bad));
    assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
    assertTrue(Files.exists(out.resolve("keep.txt")), "a failed make must not touch the existing directory");
    try (var s = Files.list(tmp)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary directory left");
    }
  }

  @Test
  void sameSeedSameBytesAndShardsWhenAsked() throws Exception {
    var opts = new ModelMaker.Options(5, DType.F16, SHRINK, null, 1L << 20, false);
    ModelMaker.make(preset("llama-3.2-1b-instruct"), tmp.resolve("a"), opts);
    ModelMaker.make(preset("llama-3.2-1b-instruct"), tmp.resolve("b"), opts);
    assertTrue(Files.exists(tmp.resolve("a/model.safetensors.index.json")));
    try (var s = Files.list(tmp.resolve("a"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
        assertEquals(-1L, Files.mismatch(p, tmp.resolve("b").resolve(p.getFileName())), p + " differs");
      }
    }
    ModelDir.validate(tmp.resolve("a"));
  }
}
