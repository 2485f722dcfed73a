package io.tokenmill.jobs;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.inference.ReasoningOptions;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.jobs.config.JobConfig;
import io.tokenmill.jobs.run.JobSettings;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.ResultRow;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * not 40 + the injected sentence).
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
      assertTrue(r.answerTokens() > 0 && r.answerTokens() + afterThink <= 32, "answer budget: " + r);
      transition += r.transitionTokens();
    }
    var tokens = s.toJson().getAsJsonObject("tokens");
    assertEquals(transition, tokens.get("transition").getAsLong());
    assertEquals(160, tokens.get("reasoning").getAsLong());
    assertEquals(rows.stream().mapToLong(ResultRow::outputTokens).sum(), tokens.get("output_this_run").getAsLong());
  }
}
