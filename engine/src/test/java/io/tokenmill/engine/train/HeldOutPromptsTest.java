package io.tokenmill.engine.train;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.engine.train.tasks.HeldOutSplit;
import io.tokenmill.engine.train.tasks.Problem;
import io.tokenmill.engine.train.tasks.Tasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * data-samples/prompts/arith-heldout.jsonl is what {@code bin/tokenmill tiny-prompts} writes: 200
 * distinct held-out problems (50 per task, every level) with exact references, none of them trainable.
 */
class HeldOutPromptsTest {

  static final Path FILE = Path.of("..", "data-samples", "prompts", "arith-heldout.jsonl");

  @Test
  void committedFileIsReproducible() throws Exception {
    assertEquals(HeldOutPrompts.jsonl(HeldOutPrompts.sample(50, Tasks.EVAL_SEED)), Files.readString(FILE));
  }

  @Test
  void everyPromptIsHeldOutDistinctAndCorrect() throws Exception {
    List<String> lines = Files.readAllLines(FILE);
    assertEquals(200, lines.size());
    Set<String> ids = new HashSet<>();
    Set<String> prompts = new HashSet<>();
    for (String line : lines) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      String task = o.get("task").getAsString();
      Problem p = new Problem(task, o.get("level").getAsInt(), o.get("prompt").getAsString(), "",
          o.get("reference").getAsString());
      assertTrue(HeldOutSplit.isHeldOut(p), "not held out: " + line);
      assertEquals(io.tokenmill.engine.train.tasks.TaskGeneratorsTestAccess.independentAnswer(p), p.answer(), line);
      assertTrue(ids.add(o.get("id").getAsString()), "duplicate id: " + line);
      assertTrue(prompts.add(task + "|" + p.prompt()), "duplicate problem: " + line);
    }
  }
}
