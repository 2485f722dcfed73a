package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Continuous batching's usual steps, for tests that compare forward paths: sequence i joins at step
 * {@code joinStep[i]}, feeds its prompt {@code chunk} tokens a step, then decodes greedily, over the given
 * block tables; returns the logits of every step's rows.
 */
final class StaggeredSteps {

  private StaggeredSteps() {}

  static List<float[][]> run(DecoderModel model, KvCache cache, int[][] prompts, int[][] tables, int[] joinStep,
      int chunk, int steps) {
    int b = prompts.length;
    int[] fed = new int[b];
    int[] next = new int[b];
    List<float[][]> out = new ArrayList<>();
    for (int s = 0; s < steps; s++) {
      List<Integer> active = new ArrayList<>();
      for (int i = 0; i < b; i++) if (s >= joinStep[i]) active.add(i);
      int[][] t = new int[active.size()][];
      int[] starts = new int[active.size()];
      int[][] tokens = new int[active.size()][];
      for (int j = 0; j < active.size(); j++) {
        int i = active.get(j);
        t[j] = tables[i];
        starts[j] = fed[i];
        tokens[j] = fed[i] < prompts[i].length
            ? Arrays.copyOfRange(prompts[i], fed[i], Math.min(prompts[i].length, fed[i] + chunk))
            : new int[] {next[i]};
      }
      try (StepResult r = model.forward(cache, new StepBatch(t, starts, tokens))) {
        float[][] logits = r.toFloatArrays();
        out.add(logits);
        int[] ids = r.argmax();
        if (r.madeGreedy() != null) { // the native head's choice: the first maximum of the logits it handed back
          for (int j = 0; j < logits.length; j++) assertEquals(firstMax(logits[j]), ids[j], "step " + s + " row " + j);
        }
        for (int j = 0; j < active.size(); j++) {
          int i = active.get(j);
          fed[i] += tokens[j].length;
          next[i] = ids[j];
        }
      }
    }
    return out;
  }

  private static int firstMax(float[] row) {
    int best = 0;
    for (int v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
    return best;
  }
}
