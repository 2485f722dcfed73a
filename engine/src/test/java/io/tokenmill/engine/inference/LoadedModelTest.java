package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The front door: what {@link LoadedModel#open} derives from a model directory and the options. */
class LoadedModelTest {

  @TempDir Path tmp;

  static final Path TINY = Path.of("..", "data-samples", "models", "tiny-reasoner");

  static LoadedModel.Options small() {
    return LoadedModel.Options.builder().optMaxBatch(4).optKvMemoryBytes(8L << 20).build();
  }

  @Test
  void theTinyReasonerOpensAsR1WithItsEosIdsAndAnswers() throws Exception {
    try (LoadedModel m = LoadedModel.open(TINY, ComputeDevice.cpu(), small())) {
      assertEquals(ReasoningFormat.DEEPSEEK_R1, m.format(), "its template opens the think block");
      ModelDir dir = ModelDir.open(TINY);
      try (ModelTokenizer tok = dir.tokenizer()) {
        assertArrayEquals(dir.eosIds(tok), m.eosIds());
      }
      assertEquals(dir.config().maxPositionEmbeddings(), m.maxSeqLen(),
          "max_seq_len 0 is the model's max_position_embeddings");
      int[] prompt = m.tokenizer().encode(m.chatTemplate().orElseThrow()
          .render(List.of(ChatMessage.user("What is 8 + 69?")), true, true));
      GenerationResult r = m.engine().submit(new GenerationRequest("q", prompt,
          SamplingParams.builder().optTemperature(0).optMaxNewTokens(200).build())).results().get().get(0);
      assertEquals(FinishReason.STOP, r.finishReason(), r.toString());
      assertEquals("77", r.answer().trim(), r.toString());
      assertTrue(r.reasoningTokens() > 0, r.toString());
    }
  }

  @Test
  void engineSizingIsDerivedInOnePlace() {
    ModelDir dir = ModelDir.open(TINY);
    ComputeDevice cpu = ComputeDevice.cpu();
    int maxPos = dir.config().maxPositionEmbeddings();
    EngineConfig c = LoadedModel.engineConfig(dir, cpu, LoadedModel.Options.builder().optMaxBatch(2)
        .optMaxSeqLen(maxPos + 1000).optKvMemoryBytes(1L << 30).build());
    assertEquals(maxPos, c.maxSeqLen(), "capped to max_position_embeddings");
    assertEquals(512, c.maxTokensPerStep(), "0 = max(512, max_batch)");
    assertEquals(8, c.queueCapacity(), "0 = 4 x max_batch");
    assertEquals(2 * (maxPos / 16) + 2, c.numBlocks(KvCache.bytesPerToken(dir.config(), cpu)),
        "a large budget buys no more blocks than max_batch full sequences use");
    EngineConfig tiny = LoadedModel.engineConfig(dir, cpu, LoadedModel.Options.builder().optMaxBatch(40)
        .optMaxTokensPerStep(8).optKvMemoryBytes(1).build());
    assertEquals(40, tiny.maxTokensPerStep(), "never below max_batch");
    assertEquals(4, tiny.numBlocks(KvCache.bytesPerToken(dir.config(), cpu)), "at least a few blocks");
  }

  @Test
  void reasoningFormatIsDetectedOrGiven() throws Exception {
    try (ModelTokenizer tok = ModelDir.open(TINY).tokenizer()) {
      assertEquals(ReasoningFormat.DEEPSEEK_R1, LoadedModel.detectFormat("auto", tok));
      assertEquals(ReasoningFormat.DEEPSEEK_R1, LoadedModel.detectFormat(null, tok));
      assertEquals(ReasoningFormat.NONE, LoadedModel.detectFormat("none", tok));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> LoadedModel.detectFormat("bogus", tok));
      assertTrue(e.getMessage().contains("'bogus'"), e.getMessage());
    }
    Path q3 = tmp.resolve("q3");
    ModelMaker.make(Path.of("..", "conf", "models", "qwen3-0.6b"), q3,
        new ModelMaker.Options(9, DType.F32, EngineTest.SMALL, null, 1L << 30, false));
    try (LoadedModel m = LoadedModel.open(q3, ComputeDevice.cpu(), small())) {
      assertEquals(ReasoningFormat.QWEN3, m.format(), "think tokens in the vocabulary, template does not open one");
    }
    try (LoadedModel m = LoadedModel.open(q3, ComputeDevice.cpu(), LoadedModel.Options.builder().optMaxBatch(2)
        .optKvMemoryBytes(4L << 20).optReasoningFormat("r1").build())) {
      assertEquals(ReasoningFormat.DEEPSEEK_R1, m.format(), "model.reasoning_format wins over detection");
    }
  }

  @Test
  void badOptionsAndDirectoriesFailNamingTheProblem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LoadedModel.Options.builder().optMaxBatch(0).build());
    assertTrue(e.getMessage().contains("engine.max_batch"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> LoadedModel.Options.builder().optKvMemoryFraction(1.5).build());
    assertTrue(e.getMessage().contains("engine.kv_memory_fraction"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> LoadedModel.open(tmp.resolve("nope"), ComputeDevice.cpu(), small()));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }
}
