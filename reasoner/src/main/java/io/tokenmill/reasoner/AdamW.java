package io.tokenmill.reasoner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov & Hutter) over a decoder's parameters, with global gradient-norm clipping. Weight
 * decay applies to matrices only (not norms, biases), as is usual for transformers. Called after the
 * gradient collector has closed, so the in-place updates are not recorded by autograd; every temporary
 * of an update lives in a sub-manager closed before the next parameter.
 */
final class AdamW {

  private final Map<String, NDArray> params;
  private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
  private final TrainConfig config;
  private int t;

  AdamW(Map<String, NDArray> params, NDManager manager, TrainConfig config) {
    this.params = params;
    this.config = config;
    params.forEach((name, p) -> moments.put(name, new NDArray[] {manager.zeros(p.getShape()), manager.zeros(p.getShape())}));
  }

  /** The global L2 norm of the gradients. */
  double gradNorm() {
    double sum = 0;
    for (NDArray p : params.values()) {
      try (NDManager scope = p.getManager().newSubManager()) {
        NDArray g = p.getGradient();
        g.attach(scope);
        sum += g.square().sum().getFloat();
      }
    }
    return Math.sqrt(sum);
  }

  /**
   * One update at learning rate {@code lr}; returns the gradient norm before clipping. Zeroes the
   * gradients. A non-finite gradient norm skips the update (weights and moments unchanged) and is returned
   * as is, for the caller to report.
   */
  double step(double lr) {
    // In-place updates of leaves that require grad need grad mode off. libtorch's grad mode is per thread and
    // on by default; DJL turns it off only on the thread that started the engine, and a gradient collector
    // restores whatever it found. So a trainer called from any other thread (a test runner, a notebook
    // cell's thread) would fail here: switch it off explicitly and restore it after.
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return update(lr);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  private double update(double lr) {
    double norm = gradNorm();
    if (!Double.isFinite(norm)) {
      // A NaN or infinite gradient would poison every weight and moment for good (clipping scales by
      // NaN): drop this step's gradients and leave weights, moments and the step count as they were.
      for (NDArray p : params.values()) JniUtils.zeroGrad((PtNDArray) p);
      return norm;
    }
    double scale = norm > config.clipNorm() ? config.clipNorm() / norm : 1.0;
    t++;
    double bc1 = 1 - Math.pow(config.beta1(), t);
    double bc2 = 1 - Math.pow(config.beta2(), t);
    double stepSize = lr * Math.sqrt(bc2) / bc1;
    float eps = (float) (1e-8 * Math.sqrt(bc2));
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray[] mv = moments.get(e.getKey());
      try (NDManager scope = p.getManager().newSubManager()) {
        NDArray g = p.getGradient();
        g.attach(scope);
        p.tempAttach(scope);
        mv[0].tempAttach(scope);
        mv[1].tempAttach(scope);
        if (scale != 1.0) g = g.mul((float) scale);
        mv[0].muli((float) config.beta1()).addi(g.mul((float) (1 - config.beta1())));
        mv[1].muli((float) config.beta2()).addi(g.square().muli((float) (1 - config.beta2())));
        if (decays(e.getKey())) p.muli((float) (1 - lr * config.weightDecay()));
        p.subi(mv[0].div(mv[1].sqrt().addi(eps)).muli((float) stepSize));
      }
      JniUtils.zeroGrad((PtNDArray) p);
    }
    return norm;
  }

  private static boolean decays(String name) {
    return name.endsWith(".weight") && !name.endsWith("norm.weight");
  }
}
