package io.tokenmill.jobs;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.engine.inference.GenerationRequest;
import io.tokenmill.engine.inference.GenerationResult;
import io.tokenmill.engine.inference.ReasoningOptions;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.exec.EngineCache;
import io.tokenmill.udfs.exec.LoadedEngine;
import io.tokenmill.udfs.rows.PromptRow;
import io.tokenmill.udfs.rows.ResultRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Output columns about the generated tokens, through the whole job on both runners with the committed tiny
 * reasoner: forced transition tokens counted apart from reasoning (a budget of 40 reports 40 reasoning tokens,
 * not 40 + the injected sentence); token ids and logprobs equal to the engine's own for the same prompt;
 * per-row min_tokens holding off the end of sequence and stop_token_ids ending a row on the token.
 */
class GenerationColumnsTest {

  static final Path MODEL = Path.of("../data-samples/models/tiny-reasoner").toAbsolutePath().normalize();

  @TempDir static Path tmp;
  static Path input;

  @BeforeAll
  static void setUp() throws Exception {
    JobFixtures.stopActiveSpark();
    List<String> hard = Files.readAllLines(Path.of("../data-samples/prompts/arith-heldout.jsonl")).stream()
        .filter(l -> l.contains("\"level\":4")).limit(4).toList(); // reasoning well over 40 tokens
    input = JobFixtures.jsonl(tmp.resolve("in/hard.jsonl"), hard);
  }

  @AfterAll
  static void stopSpark() {
    JobFixtures.stopActiveSpark();
  }

  static JobSettings settings(String runner, Path out, Map<String, Object> more) {
    Map<String, Object> m = new HashMap<>(Map.of("model.path", MODEL.toString(), "input.path", input.toString(),
        "output.path", out.toString(), "job.runner", runner, "job.progress", false, "engine.max_batch", 8,
        "engine.kv_memory_bytes", "32m", "spark.master", "local[2]", "spark.conf.spark.ui.enabled", "false"));
    m.putAll(more);
    return JobSettings.from(JobConfig.of(m));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void logprobsEqualTheEnginesAndMinTokensAndStopTokenIdsApplyPerRow(String runner) throws Exception {
    Map<String, Object> gen = Map.of("generation.max_new_tokens", 400, "generation.logprobs", true,
        "generation.top_logprobs", 2);
    JobSettings base = settings(runner, tmp.resolve("logprobs-" + runner), gen);
    GenerateJob.execute(base);
    List<ResultRow> rows = rows(tmp.resolve("logprobs-" + runner));
    assertEquals(4, rows.size());
    try (EngineCache.Lease lease = EngineCache.acquire(base.context().engineKey(ComputeDevice.cpu()))) {
      LoadedEngine engine = lease.engine();
      for (ResultRow r : rows) {
        assertEquals("stop", r.finishReason(), r.toString());
        int[] prompt = engine.tokenizer().encode(r.promptText());
        SamplingParams p = base.context().generation().paramsFor(PromptRow.Overrides.NONE, 10_000);
        GenerationResult direct = engine.engine().submit(new GenerationRequest(r.id(), prompt, p,
            base.context().generation().reasoningFor(PromptRow.Overrides.NONE))).results().get().get(0);
        assertEquals(Arrays.stream(direct.outputIds()).boxed().toList(), r.tokenIds(), r.id());
        // the engine's logprobs for this prompt alone; the job decoded it in a batch of 4, which moves the last
        // digits of the float32 logits (the tokens stay the same)
        assertEquals(direct.logprobs().size(), r.logprobs().size());
        for (int i = 0; i < r.logprobs().size(); i++) {
          assertEquals(direct.logprobs().get(i).logprob(), r.logprobs().get(i), 1e-4, r.id() + " token " + i);
        }
        assertEquals(r.reasoningTokens() + r.answerTokens() + 1, r.tokenIds().size(), "output tokens and the EOS");
        JsonArray top = JsonParser.parseString(r.topLogprobs()).getAsJsonArray();
        assertEquals(r.tokenIds().size(), top.size());
        for (int i = 0; i < top.size(); i++) {
          JsonArray alternatives = top.get(i).getAsJsonArray();
          assertEquals(2, alternatives.size());
          assertEquals(direct.logprobs().get(i).topIds()[1], alternatives.get(1).getAsJsonArray().get(0).getAsInt());
          // greedy: the chosen token is the most likely one, with the same logprob
          assertEquals(r.tokenIds().get(i), alternatives.get(0).getAsJsonArray().get(0).getAsInt());
          assertEquals(r.logprobs().get(i), alternatives.get(0).getAsJsonArray().get(1).getAsFloat());
          assertTrue(r.logprobs().get(i) <= 0);
        }
      }
    }

    // Per row: min_tokens past where the first row ended; stop_token_ids = the second row's </think>.
    String firstId = id(0);
    String secondId = id(1);
    ResultRow first = rows.stream().filter(r -> r.id().equals(firstId)).findFirst().orElseThrow();
    ResultRow second = rows.stream().filter(r -> r.id().equals(secondId)).findFirst().orElseThrow();
    int thinkEnd;
    try (ModelTokenizer tok = ModelDir.validate(MODEL).tokenizer()) {
      thinkEnd = tok.thinkEndId();
    }
    int ended = first.tokenIds().size(); // the last one is the EOS
    int stopAt = second.tokenIds().indexOf(thinkEnd);
    assertTrue(stopAt > 0, second.tokenIds().toString());
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(input)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (o.get("id").getAsString().equals(first.id())) o.addProperty("min_tokens", ended + 5);
      if (o.get("id").getAsString().equals(second.id())) o.addProperty("stop_token_ids", "[" + thinkEnd + "]");
      lines.add(o.toString());
    }
    Path overridden = JobFixtures.jsonl(tmp.resolve("in-" + runner + "/overrides.jsonl"), lines);
    Map<String, Object> more = new HashMap<>(gen);
    more.put("input.path", overridden.toString());
    Path out = tmp.resolve("overrides-" + runner);
    GenerateJob.execute(settings(runner, out, more));
    Map<String, ResultRow> after = new HashMap<>();
    for (ResultRow r : rows(out)) after.put(r.id(), r);
    ResultRow held = after.get(first.id());
    assertTrue(held.tokenIds().size() >= ended + 5, "min_tokens " + (ended + 5) + ": " + held.tokenIds().size());
    assertEquals(first.tokenIds().subList(0, ended - 1), held.tokenIds().subList(0, ended - 1), "the same up to the EOS");
    assertNotEquals(first.tokenIds().get(ended - 1), held.tokenIds().get(ended - 1), "no EOS before min_tokens");
    ResultRow stopped = after.get(second.id());
    assertEquals("stop", stopped.finishReason());
    assertEquals(second.tokenIds().subList(0, stopAt + 1), stopped.tokenIds(), "ends on the stop token id");
    for (ResultRow r : rows) {
      if (r != first && r != second) assertEquals(r.tokenIds(), after.get(r.id()).tokenIds(), "no override, same row");
    }
  }

  /** The id of input line {@code i}. */
  static String id(int i) throws Exception {
    return JsonParser.parseString(Files.readAllLines(input).get(i)).getAsJsonObject().get("id").getAsString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "spark"})
  void forcedTransitionTokensHaveTheirOwnColumn(String runner) throws Exception {
    Path out = tmp.resolve("budget-" + runner);
    RunSummary s = GenerateJob.execute(settings(runner, out, Map.of("generation.thinking_budget", 40,
        "generation.answer_budget", 32, "generation.max_new_tokens", 300)));
    int forced;
    int afterThink;
    try (ModelTokenizer tok = ModelDir.validate(MODEL).tokenizer()) {
      afterThink = tok.encode("\n\n").length;
      forced = tok.encode(ReasoningOptions.DEFAULT_TRANSITION).length + 1 + afterThink;
    }
    List<ResultRow> rows = rows(out);
    assertEquals(4, rows.size());
    long transition = 0;
    for (ResultRow r : rows) {
      assertEquals("budget", r.finishReason(), r.toString());
      assertEquals(40, r.reasoningTokens(), "reasoning_tokens is what the model sampled, within the budget");
      assertEquals(forced, r.transitionTokens(), "the built-in sentence, </think> and a blank line");
      assertTrue(r.reasoning().endsWith(ReasoningOptions.DEFAULT_TRANSITION.strip()), "the text keeps the sentence");
      // the model may end the row at once after a forced </think> (the committed one does, on a half-done
      // scratchpad); whatever it writes stays within the answer budget
      assertTrue(r.answerTokens() + afterThink <= 32, "answer budget: " + r);
      transition += r.transitionTokens();
    }
    var tokens = s.toJson().getAsJsonObject("tokens");
    assertEquals(transition, tokens.get("transition").getAsLong());
    assertEquals(160, tokens.get("reasoning").getAsLong());
    assertEquals(rows.stream().mapToLong(ResultRow::outputTokens).sum(), tokens.get("output_this_run").getAsLong());
  }
}
