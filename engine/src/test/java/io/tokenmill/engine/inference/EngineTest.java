package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.generate.GreedyGenerator;
import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The continuous-batching engine on a small random Qwen3-architecture model, on CPU. */
class EngineTest {

  @TempDir static Path tmp;
  static ModelDir dir;
  static DecoderModel model;
  static ModelTokenizer tokenizer;

  static final Map<String, String> SMALL = Map.of("num_hidden_layers", "2", "vocab_size", "600",
      "hidden_size", "64", "intermediate_size", "128", "num_attention_heads", "4", "num_key_value_heads", "2",
      "head_dim", "16", "max_position_embeddings", "2048");

  @BeforeAll
  static void load() throws Exception {
    Path out = tmp.resolve("q3");
    ModelMaker.make(Path.of("..", "conf", "models", "qwen3-0.6b"), out,
        new ModelMaker.Options(9, DType.F32, SMALL, null, 1L << 30, false));
    dir = ModelDir.validate(out);
    model = DecoderModel.load(dir.config(), out, ComputeDevice.cpu());
    tokenizer = dir.tokenizer();
  }

  @AfterAll
  static void close() {
    model.close();
    tokenizer.close();
  }

  static Engine engine(int maxBatch, long kvBytes) {
    return Engine.start(model, tokenizer, ReasoningFormat.QWEN3, dir.eosIds(tokenizer),
        new EngineConfig(maxBatch, 512, kvBytes, 16, 256, 64));
  }

  static SamplingParams sampled(int maxNew) {
    return SamplingParams.builder().optTemperature(0.9).optTopP(0.95).optSeed(7).optMaxNewTokens(maxNew)
        .optIgnoreEos(true).build();
  }

  static int[] prompt(int len, int salt) {
    return IntStream.range(0, len).map(i -> 32 + (i * 7 + salt * 13) % 90).toArray();
  }

  static GenerationResult one(Engine e, GenerationRequest r) throws Exception {
    return e.submit(r).results().get().get(0);
  }

  @Test
  void sampleIsTheSameAloneInABatchOf32AndUnderPreemption() throws Exception {
    GenerationRequest target = new GenerationRequest("target", prompt(21, 1), sampled(40));
    int[] alone;
    try (Engine e = engine(32, 64L << 20)) {
      alone = one(e, target).outputIds();
    }
    assertEquals(40, alone.length);

    List<RequestHandle> others = new ArrayList<>();
    int[] batched;
    try (Engine e = engine(32, 64L << 20)) {
      for (int i = 0; i < 31; i++) {
        others.add(e.submit(new GenerationRequest("other-" + i, prompt(3 + (i * 11) % 60, i), sampled(5 + (i * 17) % 70))));
      }
      RequestHandle h = e.submit(target);
      batched = h.results().get().get(0).outputIds();
      for (RequestHandle o : others) assertNull(o.results().get().get(0).error());
      assertTrue(e.metrics().meanOccupancy() > 0.3, "batch was really shared: " + e.metrics());
    }
    assertArrayEquals(alone, batched, "batch composition changed the sampled tokens");

    // A KV pool of 12 blocks (192 tokens) for 8 sequences of up to ~100 tokens: preemption must happen.
    long bytesPerBlock = io.tokenmill.engine.runtime.KvCache.bytesPerToken(model.config(), model.device()) * 16;
    int[] preempted;
    try (Engine e = engine(8, 12 * bytesPerBlock)) {
      for (int i = 0; i < 7; i++) {
        others.add(e.submit(new GenerationRequest("p-" + i, prompt(20 + i, i), sampled(60))));
      }
      RequestHandle h = e.submit(target);
      preempted = h.results().get().get(0).outputIds();
      assertTrue(e.metrics().preemptions() > 0, "expected preemptions: " + e.metrics());
    }
    assertArrayEquals(alone, preempted, "preemption and recompute changed the sampled tokens");
  }

  @Test
  void greedyMatchesTheStaticGenerator() throws Exception {
    List<int[]> prompts = List.of(prompt(5, 2), prompt(17, 3), prompt(33, 4));
    List<int[]> expected = new GreedyGenerator(model).generate(prompts, 20, new int[0]);
    try (Engine e = engine(4, 64L << 20)) {
      List<RequestHandle> hs = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        hs.add(e.submit(new GenerationRequest("g" + i, prompts.get(i),
            SamplingParams.builder().optTemperature(0).optMaxNewTokens(20).optIgnoreEos(true).build())));
      }
      for (int i = 0; i < prompts.size(); i++) {
        assertArrayEquals(expected.get(i), hs.get(i).results().get().get(0).outputIds(), "prompt " + i);
      }
    }
  }

  @Test
  void nSamplesSharePromptBlocksAndDiffer() throws Exception {
    GenerationRequest r = new GenerationRequest("n4", prompt(50, 5),
        SamplingParams.builder().optTemperature(1.0).optSeed(3).optN(4).optMaxNewTokens(12).optIgnoreEos(true).build());
    try (Engine e = engine(8, 64L << 20)) {
      List<GenerationResult> results = e.submit(r).results().get();
      assertEquals(4, results.size());
      assertEquals(List.of(0, 1, 2, 3), results.stream().map(GenerationResult::sample).toList());
      long distinct = results.stream().map(x -> java.util.Arrays.toString(x.outputIds())).distinct().count();
      assertTrue(distinct >= 2, "samples should differ");
      // 3 full blocks (48 tokens) of the 50-token prompt computed once, reused by the 3 other samples.
      assertTrue(e.metrics().cachedPrefixTokens() >= 3 * 48, "prefix reuse: " + e.metrics());
    }
  }

  @Test
  void badRequestsFailAloneAndCancellationAborts() throws Exception {
    try (Engine e = engine(4, 64L << 20)) {
      RequestHandle tooLong = e.submit(new GenerationRequest("long", prompt(600, 1), sampled(4)));
      RequestHandle badId = e.submit(new GenerationRequest("bad", new int[] {1, 5000}, sampled(4)));
      RequestHandle slow = e.submit(new GenerationRequest("slow", prompt(8, 1), sampled(400)));
      RequestHandle ok = e.submit(new GenerationRequest("ok", prompt(8, 2), sampled(6)));
      GenerationResult a = tooLong.results().get().get(0);
      assertEquals(FinishReason.ERROR, a.finishReason());
      assertTrue(a.error().contains("600 tokens"), a.error());
      assertTrue(badId.results().get().get(0).error().contains("5000"));
      assertEquals(6, ok.results().get().get(0).outputIds().length);
      slow.cancel();
      assertEquals(FinishReason.ABORTED, slow.results().get().get(0).finishReason());
    }
  }

  @Test
  void stopStringEndsTheTextEvenAcrossTokens() throws Exception {
    // Vocab 300: almost every id is a byte token, so the random model writes real (if odd) text.
    Map<String, String> bytesModel = new java.util.HashMap<>(SMALL);
    bytesModel.put("vocab_size", "300");
    Path out = tmp.resolve("bytes");
    ModelMaker.make(Path.of("..", "conf", "models", "qwen3-0.6b"), out,
        new ModelMaker.Options(2, DType.F32, bytesModel, null, 1L << 30, false));
    ModelDir d = ModelDir.validate(out);
    try (ModelTokenizer tok = d.tokenizer(); DecoderModel m = DecoderModel.load(d.config(), out, ComputeDevice.cpu())) {
      SamplingParams p = SamplingParams.builder().optTemperature(0).optMaxNewTokens(30).optIgnoreEos(true).build();
      String full;
      try (Engine e = Engine.start(m, tok, ReasoningFormat.NONE, d.eosIds(tok), EngineConfig.defaults(2, 256, 16L << 20))) {
        full = e.submit(new GenerationRequest("s", prompt(9, 7), p)).results().get().get(0).text();
        int at = -1;
        for (int i = 4; i + 2 <= full.length() && at < 0; i++) {
          if (full.charAt(i) != '\uFFFD' && full.charAt(i + 1) != '\uFFFD'
              && !Character.isSurrogate(full.charAt(i)) && !Character.isSurrogate(full.charAt(i + 1))) {
            at = i;
          }
        }
        assertTrue(at > 0, "no usable text in " + full);
        String stop = full.substring(at, at + 2); // at least two byte-level tokens
        SamplingParams withStop = SamplingParams.builder().optTemperature(0).optMaxNewTokens(30).optIgnoreEos(true)
            .optStopStrings(List.of(stop)).build();
        GenerationResult r = e.submit(new GenerationRequest("s2", prompt(9, 7), withStop)).results().get().get(0);
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(full.substring(0, full.indexOf(stop)), r.text());
        assertTrue(r.outputIds().length < 30);
      }
    }
  }

  @Test
  void logprobsAreAlignedWithOutputTokens() throws Exception {
    SamplingParams p = SamplingParams.builder().optTemperature(0.8).optSeed(5).optMaxNewTokens(9).optIgnoreEos(true)
        .optLogprobs(3).build();
    try (Engine e = engine(2, 64L << 20)) {
      GenerationResult r = one(e, new GenerationRequest("lp", prompt(6, 3), p));
      assertEquals(9, r.logprobs().size());
      for (int i = 0; i < 9; i++) {
        var t = r.logprobs().get(i);
        assertEquals(r.outputIds()[i], t.tokenId());
        assertTrue(t.logprob() <= 0, "log-probability " + t.logprob());
        assertEquals(3, t.topIds().length);
        assertTrue(t.topLogprobs()[0] >= t.logprob() - 1e-6, "top-1 is at least the chosen token");
      }
    }
  }

  @Test
  void closedEngineRefusesWorkAndAFailingListenerDoesNotStopOtherSamples() throws Exception {
    Engine e = engine(2, 64L << 20);
    SamplingParams p = SamplingParams.builder().optTemperature(1.0).optN(3).optMaxNewTokens(4).optIgnoreEos(true).build();
    java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
    RequestHandle h = e.submit(new GenerationRequest("l", prompt(5, 1), p), r -> {
      seen.incrementAndGet();
      throw new IllegalStateException("listener bug");
    });
    var ex = assertThrows(java.util.concurrent.ExecutionException.class, () -> h.results().get());
    assertTrue(ex.getCause().getMessage().contains("listener bug"));
    assertEquals(3, seen.get(), "every sample still reached the listener");
    // The id is free again once all samples are delivered.
    assertEquals(4, e.submit(new GenerationRequest("l", prompt(5, 1), sampled(4))).results().get().get(0).outputTokens());
    e.close();
    assertThrows(IllegalStateException.class, () -> e.submit(new GenerationRequest("late", prompt(5, 1), sampled(4))));
  }

  @Test
  void aFailedForwardFailsOnlyItsStepAndPoisonsNothing() throws Exception {
    int[] shared = prompt(40, 5);
    GenerationRequest clean = new GenerationRequest("clean", shared, sampled(12));
    int[] reference;
    try (Engine e = engine(8, 16L << 20)) {
      reference = one(e, clean).outputIds();
    }
    try (Engine e = engine(8, 16L << 20)) {
      // a long request runs alone for a while, then a step that prefills the shared prompt fails
      RequestHandle bystander = e.submit(new GenerationRequest("bystander", prompt(9, 2), sampled(30)));
      java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
      e.injectForwardFailure = batch -> {
        for (int[] t : batch.tokens()) {
          if (t.length == shared.length && failures.getAndIncrement() == 0) return true;
        }
        return false;
      };
      GenerationResult victim = one(e, new GenerationRequest("victim", shared, sampled(12)));
      assertEquals(FinishReason.ERROR, victim.finishReason());
      assertTrue(victim.error().contains("injected forward failure"), victim.error());
      // the same prompt again: its blocks were never committed to the prefix cache, so it is recomputed
      GenerationResult again = one(e, new GenerationRequest("again", shared, sampled(12)));
      assertNull(again.error());
      // "again" differs from "clean" only by id, and ids seed sampling: compare with a clean run of "again"
      GenerationResult bystanderResult = bystander.results().get().get(0);
      assertTrue(bystanderResult.error() == null || bystanderResult.error().contains("injected"),
          "the bystander either finished or failed with the step it shared: " + bystanderResult.error());
      int[] againAlone;
      try (Engine fresh = engine(8, 16L << 20)) {
        againAlone = one(fresh, new GenerationRequest("again", shared, sampled(12))).outputIds();
      }
      assertArrayEquals(againAlone, again.outputIds(), "KV and prefix cache consistent after the failure");
      assertEquals(12, reference.length);
      // and the engine keeps serving: a request after the failure gives the same tokens as on a fresh engine
      assertArrayEquals(reference, one(e, clean).outputIds());
    }
  }
}
