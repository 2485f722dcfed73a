package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.reasoner.tasks.HeldOutSplit;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.TaskMix;
import io.tokenmill.reasoner.tasks.Tasks;
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

  /** The demo's input (conf/local.yaml): {@code tiny-prompts --tasks add,sub,mul,count,seating --per-task 16}. */
  @Test
  void committedDemoMixIsReproducible() throws Exception {
    List<Problem> mix = HeldOutPrompts.sample(TaskMix.parse("add,sub,mul,count,seating").tasks(), 16, Tasks.EVAL_SEED);
    assertEquals(80, mix.size());
    assertEquals(16, mix.stream().filter(p -> p.task().equals("seating")).count());
    assertTrue(mix.stream().allMatch(HeldOutSplit::isHeldOut));
    assertEquals(HeldOutPrompts.jsonl(mix), Files.readString(FILE.resolveSibling("demo-mix.jsonl")));
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
      assertEquals(io.tokenmill.reasoner.tasks.TaskGeneratorsTestAccess.independentAnswer(p), p.answer(), line);
      assertTrue(ids.add(o.get("id").getAsString()), "duplicate id: " + line);
      assertTrue(prompts.add(task + "|" + p.prompt()), "duplicate problem: " + line);
    }
  }

  @Test
  void theEvaluationSampleRepeatsSmallLevelsUnderUniqueIds() {
    List<Problem> problems = HeldOutPrompts.stratified(1000, Tasks.EVAL_SEED);
    assertEquals(4000, problems.size());
    List<String> ids = HeldOutPrompts.ids(problems);
    assertEquals(problems.size(), new HashSet<>(ids).size(), "ids are unique");
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      String base = problems.get(i).id();
      assertTrue(id.equals(base) || id.matches(java.util.regex.Pattern.quote(base) + "-[0-9]+"), id);
    }
    // 1-2 digits x 2-9: 792 problems, about a tenth of them held out, so 250 at level 1 must repeat
    assertTrue(ids.stream().anyMatch(id -> id.startsWith("mul-L1-") && id.endsWith("-2")));
    assertEquals(ids.stream().filter(id -> id.startsWith("mul-L1-")).count(), 250);
  }

  @Test
  void aDistinctSampleLargerThanALevelsHeldOutSliceIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeldOutPrompts.sample(1000, 1));
    assertTrue(e.getMessage().contains("distinct held-out problems"), e.getMessage());
  }
}
