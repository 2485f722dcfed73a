package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A step whose gradient holds a NaN leaves the weights and moments as they were; the next finite step updates. */
class AdamWTest {

  @Test
  void aNonFiniteGradientSkipsTheUpdate() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray w = manager.create(new float[] {0.5f, -1f, 2f});
      w.setRequiresGradient(true);
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("model.layers.0.mlp.down_proj.weight", w);
      AdamW adam = new AdamW(params, manager, TrainingTest.SMALL);

      backward(w, Float.NaN);
      double norm = adam.step(1e-2);
      assertTrue(Double.isNaN(norm), "the NaN norm is reported: " + norm);
      assertArrayEquals(new float[] {0.5f, -1f, 2f}, w.toFloatArray(), "weights untouched by a NaN step");

      backward(w, 1f);
      double finite = adam.step(1e-2);
      assertTrue(Double.isFinite(finite) && finite > 0);
      float[] after = w.toFloatArray();
      for (float v : after) assertTrue(Float.isFinite(v), "the moments were not poisoned: " + java.util.Arrays.toString(after));
      assertNotEquals(0.5f, after[0], "a finite step updates");
    }
  }

  /** Sets w's gradient to that of sum(w * factor): factor everywhere. */
  private static void backward(NDArray w, float factor) {
    try (NDManager scope = w.getManager().newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray loss = w.mul(factor).sum();
      gc.backward(loss);
    }
  }
}
