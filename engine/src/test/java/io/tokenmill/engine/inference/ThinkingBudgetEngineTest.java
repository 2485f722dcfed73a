package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Budget forcing through the real engine on a DeepSeek-R1-style model (the prompt opens the think
 * block; a random model never closes it): after N reasoning tokens the transition text and
 * {@code </think>} are fed through the model, the answer follows, finish_reason = budget. Without a
 * budget the unterminated reasoning is reported as such, never as an answer.
 */
class ThinkingBudgetEngineTest {

  @TempDir Path tmp;

  @Test
  void budgetForcesEndOfThinking() throws Exception {
    Path out = tmp.resolve("r1");
    ModelMaker.make(Path.of("..", "conf", "models", "deepseek-r1-distill-qwen-1.5b"), out,
        new ModelMaker.Options(4, DType.F32, EngineTest.SMALL, null, 1L << 30, false));
    ModelDir dir = ModelDir.validate(out);
    try (ModelTokenizer tok = dir.tokenizer();
        DecoderModel model = DecoderModel.load(dir.config(), out, ComputeDevice.cpu())) {
      String chatTemplate = tok.chatTemplate().orElseThrow().source();
      ReasoningFormat format = ReasoningFormat.detect(chatTemplate, tok.thinkEndId() >= 0);
      assertEquals(ReasoningFormat.DEEPSEEK_R1, format);
      int[] prompt = tok.encode(tok.chatTemplate().orElseThrow().render(List.of(ChatMessage.user("1+1?")), true, true));
      SamplingParams p = SamplingParams.builder().optTemperature(0.7).optSeed(1).optMaxNewTokens(120)
          .optStopTokenIds(tok.thinkEndId() + 1000).build();
      int[] eos = dir.eosIds(tok);
      String transition = "\nTime is up.\n";
      try (Engine e = Engine.start(model, tok, format, eos, EngineConfig.defaults(4, 512, 64L << 20))) {
        ReasoningOptions budget = new ReasoningOptions(true, 10, 20, transition);
        GenerationResult r = e.submit(new GenerationRequest("b", prompt, p, budget)).results().get().get(0);
        assertEquals(FinishReason.BUDGET, r.finishReason(), r.toString());
        int[] forced = tok.encode(transition);
        int thinkEnd = tok.thinkEndId();
        // Tokens 10.. are exactly the transition, then </think>, then "\n\n".
        for (int i = 0; i < forced.length; i++) assertEquals(forced[i], r.outputIds()[10 + i], "forced token " + i);
        assertEquals(thinkEnd, r.outputIds()[10 + forced.length]);
        assertEquals(10, r.reasoningTokens(), "only what the model sampled, never more than the budget");
        int afterThink = tok.encode("\n\n").length;
        assertEquals(forced.length + 1 + afterThink, r.transitionTokens(), "the forced transition, </think>, blank line");
        assertNotNull(r.reasoning());
        assertTrue(r.reasoning().endsWith("Time is up."), r.reasoning());
        assertNotNull(r.answer());
        assertTrue(r.answerTokens() <= 20, "answer budget: " + r.answerTokens());

        // max_new_tokens cuts the forced run in the middle of the transition: counts match what was emitted.
        int cut = 10 + Math.min(3, forced.length);
        GenerationResult truncated = e.submit(new GenerationRequest("t", prompt,
            SamplingParams.builder().optTemperature(0.7).optSeed(1).optMaxNewTokens(cut).build(), budget))
            .results().get().get(0);
        assertEquals(cut, truncated.outputIds().length);
        assertEquals(cut, truncated.reasoningTokens() + truncated.answerTokens() + truncated.transitionTokens(),
            truncated.toString());
        assertEquals(10, truncated.reasoningTokens());
        assertEquals(cut - 10, truncated.transitionTokens());
        assertNull(truncated.answer(), "</think> was never emitted");

        // thinking_budget 0 answers at once: the first output tokens are the forced transition and </think>,
        // nothing was sampled as reasoning, and the model's own tokens are the answer.
        GenerationResult atOnce = e.submit(new GenerationRequest("z", prompt, p,
            new ReasoningOptions(true, 0, 20, transition))).results().get().get(0);
        for (int i = 0; i < forced.length; i++) assertEquals(forced[i], atOnce.outputIds()[i], "forced token " + i);
        assertEquals(thinkEnd, atOnce.outputIds()[forced.length]);
        assertEquals(0, atOnce.reasoningTokens(), atOnce.toString());
        assertEquals(forced.length + 1 + afterThink, atOnce.transitionTokens());
        assertEquals(atOnce.outputIds().length, atOnce.reasoningTokens() + atOnce.answerTokens()
            + atOnce.transitionTokens(), atOnce.toString());
        assertEquals(FinishReason.BUDGET, atOnce.finishReason());
        assertEquals("Time is up.", atOnce.reasoning().strip());
        assertNotNull(atOnce.answer());
        assertTrue(atOnce.answerTokens() >= 1 && atOnce.answerTokens() <= 20, atOnce.toString());

        GenerationResult unlimited = e.submit(new GenerationRequest("u", prompt,
            SamplingParams.builder().optTemperature(0.7).optSeed(1).optMaxNewTokens(15).build(),
            ReasoningOptions.DEFAULT)).results().get().get(0);
        if (!contains(unlimited.outputIds(), thinkEnd) && !contains(unlimited.outputIds(), eos)) {
          assertEquals(FinishReason.LENGTH, unlimited.finishReason());
          assertNull(unlimited.answer(), "unterminated reasoning must not be reported as an answer");
          assertNotNull(unlimited.reasoning());
        }
      }
    }
  }

  private static boolean contains(int[] a, int... v) {
    for (int x : a) for (int y : v) if (x == y) return true;
    return false;
  }
}
