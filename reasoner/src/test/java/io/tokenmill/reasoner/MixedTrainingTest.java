package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.TaskMix;
import io.tokenmill.reasoner.tasks.Tasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on a task mix with seating puzzles (2,048-token rows): a short run lowers the loss, writes
 * its periodic checkpoints as ordinary model directories, and a run continued from a checkpoint starts
 * where that one left off. The mix itself: parsing, shares, clear errors.
 */
class MixedTrainingTest {

  @TempDir Path tmp;

  /** 24 steps of 2 x 2048 tokens on hidden 48 / 2 layers, half the problems seating. */
  static final TrainConfig MIXED = new TrainConfig("qwen2", 48, 96, 2, 2, 1, true, 24, 2, 2048, 4e-3, 0.1, 3,
      0.1, 0.9, 0.98, 1.0, 5, "add=1,sub=1,mul=1,count=1,seating=4");

  @Test
  void aShortMixedRunLowersTheLossAndLeavesCheckpoints() throws Exception {
    List<String> log = new ArrayList<>();
    Path out = tmp.resolve("model");
    Path checkpoints = tmp.resolve("checkpoints");
    TinyReasoner.Result r = TinyReasoner.train(MIXED, out, false, 1, 0, 10, checkpoints, null, log::add);
    double first = r.log().get(0).loss();
    double last = r.log().subList(r.log().size() - 4, r.log().size()).stream()
        .mapToDouble(Trainer.LogLine::loss).average().orElseThrow();
    // Untrained ~ln(262) = 5.6 nats; the layout of traces and scratchpads is learned first (seen 5.54 -> 3.7).
    assertTrue(first > 5.0 && last < 0.75 * first, "loss " + first + " -> " + last + "\n" + log);
    List<String> steps;
    try (Stream<Path> s = Files.list(checkpoints)) {
      steps = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertEquals(List.of("step-00010", "step-00020"), steps);
    ModelDir dir = ModelDir.validate(checkpoints.resolve("step-00020"));
    assertEquals(48, dir.config().hiddenSize());
    com.google.gson.JsonObject recipe = com.google.gson.JsonParser.parseString(
        Files.readString(checkpoints.resolve("step-00020").resolve("config.json"))).getAsJsonObject()
        .getAsJsonObject("tokenmill_training");
    assertEquals(20, recipe.get("steps_done").getAsInt());
    assertEquals("add=1,sub=1,mul=1,count=1,seating=4", recipe.get("tasks").getAsString(), "the recipe records the mix");
    assertEquals(20, recipe.getAsJsonArray("loss_curve").size(), "the loss curve so far");

    // Continue from the step-20 checkpoint: the first loss is already far below an untrained model's.
    TinyReasoner.Result resumed = TinyReasoner.train(MIXED.withSteps(2), tmp.resolve("resumed"), false, 1, 0, 0,
        null, checkpoints.resolve("step-00020"), log::add);
    assertTrue(resumed.log().get(0).loss() < 0.8 * first, "resumed at " + resumed.log().get(0).loss() + " vs untrained " + first);
  }

  @Test
  void theMixDrawsTasksInItsSharesAndNamesBadEntries() {
    TaskMix mix = TaskMix.parse("add=1, seating=3");
    java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < 8000; i++) counts.merge(mix.draw(rng).name(), 1, Integer::sum);
    assertEquals(2, counts.size());
    assertEquals(6000, counts.get("seating"), 200);
    assertEquals("add=1,seating=3", mix.toString());
    Tasks.TrainingStream stream = new Tasks.TrainingStream(3, TaskMix.parse("seating"));
    for (int i = 0; i < 20; i++) {
      Problem p = stream.next();
      assertEquals("seating", p.task());
      assertFalse(io.tokenmill.reasoner.tasks.HeldOutSplit.isHeldOut(p));
    }
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("add=1,chess=2")).getMessage()
        .contains("unknown task 'chess'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("add=x")).getMessage()
        .contains("'add=x'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("add=0")).getMessage()
        .contains("'add'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TaskMix.parse("add,add")).getMessage()
        .contains("twice"));
  }
}
