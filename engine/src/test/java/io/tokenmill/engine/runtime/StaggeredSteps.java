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

  /**
   * Two paths' logits of the same steps agree: every logit within 2e-5 of its row's largest magnitude (fp32
   * rounding of sums taken in another order), and the greedy token of every row equal.
   */
  static void assertAgree(String label, List<float[][]> reference, List<float[][]> fast) {
    assertEquals(reference.size(), fast.size(), label + ": steps");
    for (int s = 0; s < reference.size(); s++) {
      assertEquals(reference.get(s).length, fast.get(s).length, label + " step " + s + ": rows");
      for (int i = 0; i < reference.get(s).length; i++) {
        float[] a = reference.get(s)[i];
        float[] b = fast.get(s)[i];
        float scale = 0;
        for (float v : a) scale = Math.max(scale, Math.abs(v));
        for (int v = 0; v < a.length; v++) {
          assertEquals(a[v], b[v], 2e-5f * Math.max(1f, scale), label + " step " + s + " row " + i + " logit " + v);
        }
        assertEquals(firstMax(a), firstMax(b), label + " step " + s + " row " + i);
      }
    }
  }

  /** The greedy token of a row of logits: its first maximum. */
  static int firstMax(float[] row) {
    int best = 0;
    for (int v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
    return best;
  }
}
