package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Tasks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training attention cut into query tiles ({@link PackedBatch#attentionTiles}) computes what whole-row
 * attention under the full mask computes: same logits, same loss, same gradient for every parameter, on
 * real problems of every task packed several to a row (sequences crossing tile edges, padding at the end).
 */
class TiledAttentionTest {

  @TempDir Path tmp;

  @Test
  void tilesGiveTheSameLogitsAndGradientsAsWholeRows() throws Exception {
    TrainConfig shape = new TrainConfig("qwen2", 64, 96, 2, 4, 2, true, 1, 1, 64, 1e-3, 0, 0, 0, 0.9, 0.98, 1, 0, "add");
    ModelConfig config = ModelConfig.fromJson(shape.modelJson(TinyReasoner.VOCAB_SIZE, TinyReasoner.MAX_POSITIONS));
    PackedBatch batch;
    try (ModelTokenizer tokenizer = TinyReasoner.tokenizer(tmp)) {
      ProblemEncoder enc = new ProblemEncoder(tokenizer);
      List<PackedBatch.Sequence> seqs = new ArrayList<>();
      for (var task : Tasks.ALL) {
        for (Problem p : Tasks.heldOut(task, 1, 3, 9)) seqs.add(enc.sequence(p));
      }
      int longest = seqs.stream().mapToInt(s -> s.ids().length).max().orElseThrow();
      batch = PackedBatch.packAll(seqs, longest + 40, 0);
    }
    assertTrue(batch.rows() > 1, "the check needs several rows");
    assertTrue(batch.sequences() > batch.rows(), "the check needs rows holding several sequences");

    Result whole = run(config, batch, batch.length());
    for (int block : new int[] {7, 32, batch.length() - 1}) {
      assertTrue(batch.attentionTiles(block).size() > batch.rows());
      Result tiled = run(config, batch, block);
      assertEquals(whole.loss, tiled.loss, 1e-5 * Math.abs(whole.loss), "loss, block " + block);
      assertClose(whole.logits, tiled.logits, 1e-4, "logits, block " + block);
      whole.gradients.forEach((name, g) -> assertClose(g, tiled.gradients.get(name), 1e-3, name + " gradient, block " + block));
    }
  }

  @Test
  void everyVisibleKeyLiesInItsQueryTile() {
    PackedBatch batch = PackedBatch.pack(new ArrayList<>(List.of(
        new PackedBatch.Sequence(new int[13], 2), new PackedBatch.Sequence(new int[5], 1),
        new PackedBatch.Sequence(new int[9], 3))), 2, 20, 0);
    float[] full = batch.attentionMask();
    int t = batch.length();
    for (int block : new int[] {1, 4, 6, 20}) {
      int covered = 0;
      for (PackedBatch.AttentionTile tile : batch.attentionTiles(block)) {
        int keys = tile.qTo() - tile.kFrom();
        for (int i = tile.qFrom(); i < tile.qTo(); i++) {
          for (int j = 0; j < t; j++) {
            float want = full[(tile.row() * t + i) * t + j];
            float got = j >= tile.kFrom() && j < tile.qTo() ? tile.mask()[(i - tile.qFrom()) * keys + j - tile.kFrom()] : -1e9f;
            assertEquals(want, got, "row " + tile.row() + " query " + i + " key " + j + " block " + block);
          }
          covered++;
        }
      }
      assertEquals(batch.rows() * t, covered, "every query in exactly one tile");
    }
  }

  private record Result(double loss, float[] logits, Map<String, float[]> gradients) {}

  private static Result run(ModelConfig config, PackedBatch batch, int block) {
    try (TrainableDecoder model = TrainableDecoder.init(config, 3).attentionBlock(block);
        NDManager scope = model.manager().newSubManager()) {
      float[] logits;
      double loss;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        logits = model.logits(scope, batch).toFloatArray();
        NDArray sum = model.lossSum(scope, batch);
        loss = sum.getFloat();
        gc.backward(sum);
      }
      Map<String, float[]> grads = new LinkedHashMap<>();
      model.parameters().forEach((name, p) -> grads.put(name, p.getGradient().toFloatArray()));
      return new Result(loss, logits, grads);
    }
  }

  private static void assertClose(float[] want, float[] got, double tol, String what) {
    assertEquals(want.length, got.length, what);
    double scale = 0;
    for (float w : want) scale = Math.max(scale, Math.abs(w));
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], tol * Math.max(scale, 1e-6), what + " [" + i + "]");
    }
  }
}
