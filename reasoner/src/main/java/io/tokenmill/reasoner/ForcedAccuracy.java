package io.tokenmill.reasoner;

import ai.djl.ndarray.NDManager;
import io.tokenmill.reasoner.tasks.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cheap progress probe for training: the share of problems whose whole completion is the model's
 * argmax at every position given the reference prefix. That is exactly the share greedy decoding would
 * reproduce token for token (so a lower bound on answer accuracy), at the cost of one forward pass
 * instead of a decode loop. The real accuracy is measured through the engine ({@link TinyEval}).
 */
final class ForcedAccuracy {

  private final List<Problem> problems;
  private final List<PackedBatch> batches = new ArrayList<>();

  ForcedAccuracy(List<Problem> problems, ProblemEncoder encoder, int rows, int rowLength, int padId) {
    this.problems = List.copyOf(problems);
    List<PackedBatch.Sequence> all = new ArrayList<>();
    for (Problem p : problems) all.add(encoder.sequence(p));
    // Chunks of about a training step's tokens (seating problems are ten times an addition's);
    // packing keeps order, so the k-th packed sequence overall is problem k.
    for (List<PackedBatch.Sequence> chunk : PackedBatch.inOrderChunks(all, rows * rowLength)) {
      batches.add(PackedBatch.packAll(chunk, rowLength, padId));
    }
  }

  /** Share of exactly reproduced completions per "task Ln" key, plus "all". */
  Map<String, Double> measure(TrainableDecoder model, NDManager parent) {
    boolean[] ok = new boolean[problems.size()];
    java.util.Arrays.fill(ok, true);
    int offset = 0;
    for (PackedBatch batch : batches) {
      long[] argmax;
      try (NDManager scope = parent.newSubManager()) {
        argmax = model.logits(scope, batch).argMax(-1).toLongArray();
      }
      for (int i = 0; i < argmax.length; i++) {
        int s = batch.sequence()[i];
        if (s >= 0 && batch.lossMask()[i] != 0 && argmax[i] != batch.targets()[i]) ok[offset + s] = false;
      }
      offset += batch.sequences();
    }
    Map<String, int[]> counts = new LinkedHashMap<>();
    for (int k = 0; k < problems.size(); k++) {
      Problem p = problems.get(k);
      for (String key : List.of(p.task() + " L" + p.level(), "~all")) {
        int[] c = counts.computeIfAbsent(key, x -> new int[2]);
        c[0] += ok[k] ? 1 : 0;
        c[1]++;
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    counts.forEach((k, c) -> {
      if (!k.startsWith("~")) out.put(k, (double) c[0] / c[1]);
    });
    int[] all = counts.get("~all");
    out.put("all", (double) all[0] / all[1]);
    return out;
  }
}
