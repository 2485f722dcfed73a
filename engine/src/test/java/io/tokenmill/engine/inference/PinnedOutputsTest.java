package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.sampling.SampledToken;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.weights.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the engine's complete results (tokens, text, reasoning/answer split, counts, finish reasons,
 * logprobs) for a fixed mix of greedy and sampled requests — thinking budgets, stop strings, stop ids,
 * penalties, n > 1, logprobs — on the tiny reasoner and on a random Qwen3-shaped model, all running
 * concurrently in one continuously batched engine. The expected files were recorded by the engine as
 * it was before the engine core / model runner / output processor split (commit "PinnedOutputsTest:
 * record..."), so a refactor that changes any output, batch composition or finish decision fails here.
 * The tiny reasoner's file was re-recorded when that directory became the one model for arithmetic and
 * seating (session 15, seating-v16), by the engine whose outputs had matched the old file.
 *
 * <p>To re-record after an intended change: {@code -Dtokenmill.pin.record=true} (writes the files under
 * src/test/resources; commit them with the change that explains why outputs moved).
 */
class PinnedOutputsTest {

  @TempDir Path tmp;

  static final boolean RECORD = Boolean.getBoolean("tokenmill.pin.record");

  @Test
  void tinyReasonerOutputsAreUnchanged() throws Exception {
    Path model = Path.of("..", "data-samples", "models", "tiny-reasoner");
    check("pinned/tiny-reasoner.txt", run(model, tinyReasonerRequests(model)));
  }

  @Test
  void randomQwen3OutputsAreUnchanged() throws Exception {
    Path out = tmp.resolve("q3");
    ModelMaker.make(Path.of("..", "conf", "models", "qwen3-0.6b"), out,
        new ModelMaker.Options(9, DType.F32, EngineTest.SMALL, null, 1L << 30, false));
    check("pinned/random-qwen3.txt", run(out, randomModelRequests()));
  }

  /** Requests built from a model's tokenizer (needs the dir to render chat prompts). */
  interface Requests {
    List<GenerationRequest> build(ModelTokenizer tok, int[] eos);
  }

  private static Requests tinyReasonerRequests(Path dir) {
    return (tok, eos) -> {
      List<GenerationRequest> rs = new ArrayList<>();
      String[] questions = {"What is 8 + 69?", "What is 85 + 23?", "What is 43 * 29?", "What is 907 - 58?",
          "Sort 5, 2, 9, 1.", "What is 12 + 7?"};
      for (int i = 0; i < questions.length; i++) {
        int[] prompt = tok.encode(tok.chatTemplate().orElseThrow()
            .render(List.of(ChatMessage.user(questions[i])), true, true));
        rs.add(new GenerationRequest("greedy-" + i, prompt,
            SamplingParams.builder().optTemperature(0).optMaxNewTokens(200).build()));
        rs.add(new GenerationRequest("sampled-" + i, prompt, SamplingParams.builder().optTemperature(0.6)
            .optTopP(0.95).optSeed(11 + i).optN(i % 3 == 0 ? 3 : 1).optMaxNewTokens(200).build()));
      }
      int[] p0 = tok.encode(tok.chatTemplate().orElseThrow()
          .render(List.of(ChatMessage.user("What is 4817 + 2963?")), true, true));
      rs.add(new GenerationRequest("budget", p0, SamplingParams.builder().optTemperature(0.6).optTopP(0.95)
          .optSeed(3).optMaxNewTokens(120).build(), new ReasoningOptions(true, 12, 30, "\nTime is up.\n")));
      rs.add(new GenerationRequest("budget-greedy-cut", p0, SamplingParams.builder().optTemperature(0)
          .optMaxNewTokens(14).build(), new ReasoningOptions(true, 10, null, "\nTime is up.\n")));
      rs.add(new GenerationRequest("stop-string", p0, SamplingParams.builder().optTemperature(0.6).optTopP(0.95)
          .optSeed(5).optMaxNewTokens(200).optStopStrings(List.of("</think>", "7")).build()));
      rs.add(new GenerationRequest("logprobs", p0, SamplingParams.builder().optTemperature(0.6).optTopP(0.95)
          .optSeed(9).optMaxNewTokens(40).optLogprobs(2).build()));
      rs.add(new GenerationRequest("penalties", p0, SamplingParams.builder().optTemperature(0.8).optTopK(20)
          .optRepetitionPenalty(1.3).optPresencePenalty(0.5).optSeed(2).optMaxNewTokens(60).build()));
      return rs;
    };
  }

  private static Requests randomModelRequests() {
    return (tok, eos) -> {
      List<GenerationRequest> rs = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        int[] prompt = EngineTest.prompt(9 + 5 * i, i);
        rs.add(new GenerationRequest("greedy-" + i, prompt,
            SamplingParams.builder().optTemperature(0).optMaxNewTokens(24 + 7 * i).build()));
        rs.add(new GenerationRequest("sampled-" + i, prompt, SamplingParams.builder().optTemperature(0.6)
            .optTopP(0.95).optSeed(100 + i).optN(i == 2 ? 4 : 1).optMaxNewTokens(30 + 3 * i).build()));
      }
      int[] p = EngineTest.prompt(17, 42);
      rs.add(new GenerationRequest("stop-id", p, SamplingParams.builder().optTemperature(1.0).optSeed(1)
          .optMaxNewTokens(80).optStopTokenIds(40, 41, 42, 43, 44, 45).build()));
      rs.add(new GenerationRequest("stop-string", p, SamplingParams.builder().optTemperature(1.0).optSeed(2)
          .optMaxNewTokens(80).optStopStrings(List.of("L")).build()));
      rs.add(new GenerationRequest("eos-as-stop", p, SamplingParams.builder().optTemperature(1.0).optSeed(3)
          .optMaxNewTokens(60).optStopTokenIds(eos).build()));
      rs.add(new GenerationRequest("think-off-budget", p, SamplingParams.builder().optTemperature(0.6).optSeed(4)
          .optMaxNewTokens(40).build(), new ReasoningOptions(false, 5, null, "\nstop\n")));
      rs.add(new GenerationRequest("think-budget", p, SamplingParams.builder().optTemperature(0.6).optSeed(4)
          .optMaxNewTokens(40).build(), new ReasoningOptions(true, 5, 8, "\nstop\n")));
      rs.add(new GenerationRequest("logprobs-greedy", p, SamplingParams.builder().optTemperature(0)
          .optMaxNewTokens(20).optLogprobs(1).build()));
      return rs;
    };
  }

  /** Runs every request concurrently through one engine (small KV budget: preemption happens). */
  private static String run(Path modelDir, Requests requests) throws Exception {
    ModelDir dir = ModelDir.validate(modelDir);
    try (ModelTokenizer tok = dir.tokenizer();
        DecoderModel model = DecoderModel.load(dir.config(), dir.path(), ComputeDevice.cpu())) {
      ReasoningFormat format = ReasoningFormat.detect(tok.chatTemplate().map(t -> t.source()).orElse(null),
          tok.thinkStartId() >= 0 && tok.thinkEndId() >= 0);
      int[] eos = dir.eosIds(tok);
      List<GenerationRequest> rs = requests.build(tok, eos);
      StringBuilder sb = new StringBuilder("format ").append(format).append('\n');
      try (Engine e = Engine.start(model, tok, format, eos, new EngineConfig(8, 512,
          KvBytes.of(dir, 40), 16, 64, 64))) {
        List<RequestHandle> hs = new ArrayList<>();
        for (GenerationRequest r : rs) hs.add(e.submit(r));
        for (RequestHandle h : hs) for (GenerationResult g : h.results().get()) sb.append(describe(g));
      }
      return sb.toString();
    }
  }

  /** KV bytes for {@code blocks} blocks of 16 tokens of this model on CPU in fp32. */
  static final class KvBytes {
    static long of(ModelDir dir, int blocks) {
      var c = dir.config();
      return 2L * c.numLayers() * c.numKvHeads() * c.headDim() * 4 * 16 * blocks;
    }
  }

  static String describe(GenerationResult g) {
    StringBuilder sb = new StringBuilder();
    sb.append("== ").append(g.id()).append('#').append(g.sample()).append('\n');
    sb.append("finish ").append(g.finishReason()).append(" error ").append(g.error()).append('\n');
    sb.append("prompt ").append(g.promptTokens()).append(" reasoning ").append(g.reasoningTokens())
        .append(" answer ").append(g.answerTokens()).append(" transition ").append(g.transitionTokens()).append('\n');
    sb.append("ids ").append(Arrays.toString(g.outputIds())).append('\n');
    sb.append("text ").append(escape(g.text())).append('\n');
    sb.append("reasoning ").append(escape(g.reasoning())).append('\n');
    sb.append("answer ").append(escape(g.answer())).append('\n');
    if (g.logprobs() != null) {
      for (SampledToken t : g.logprobs()) {
        sb.append("lp ").append(t.tokenId()).append(' ').append(String.format(Locale.ROOT, "%.3f", t.logprob()));
        if (t.topIds() != null) {
          for (int i = 0; i < t.topIds().length; i++) {
            sb.append(' ').append(t.topIds()[i]).append(':')
                .append(String.format(Locale.ROOT, "%.3f", t.topLogprobs()[i]));
          }
        }
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  private static String escape(String s) {
    return s == null ? "null" : '"' + s.replace("\\", "\\\\").replace("\n", "\\n") + '"';
  }

  private static void check(String resource, String actual) throws Exception {
    Path file = Path.of("src", "test", "resources", resource);
    if (RECORD) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, actual, StandardCharsets.UTF_8);
      return;
    }
    assertTrue(Files.exists(file), file + " missing: record it with -Dtokenmill.pin.record=true");
    String expected = Files.readString(file, StandardCharsets.UTF_8);
    if (!expected.equals(actual)) {
      String[] e = expected.split("\n", -1);
      String[] a = actual.split("\n", -1);
      for (int i = 0; i < Math.min(e.length, a.length); i++) {
        if (!e[i].equals(a[i])) fail(resource + " line " + (i + 1) + ":\nexpected " + e[i] + "\nactual   " + a[i]);
      }
      fail(resource + ": " + e.length + " expected lines, " + a.length + " actual");
    }
  }
}
