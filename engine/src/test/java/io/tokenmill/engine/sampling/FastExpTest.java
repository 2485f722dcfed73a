package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The portable exp used for softmax weights: accuracy against Math.exp and exact special values. */
class FastExpTest {

  @Test
  void exactWhereSamplingReliesOnIt() {
    assertEquals(1.0, FastExp.exp(0.0)); // the max token's weight must be exactly 1 (min-p)
    assertEquals(1.0, FastExp.exp(-0.0));
    assertEquals(0.0, FastExp.exp(Double.NEGATIVE_INFINITY)); // masked tokens weigh nothing
    assertEquals(0.0, FastExp.exp(-709));
    assertTrue(Double.isNaN(FastExp.exp(Double.NaN)));
  }

  @Test
  void relativeErrorBelow1e12() {
    Random r = new Random(3);
    double worst = 0;
    for (int i = 0; i < 1_000_000; i++) {
      double x = i < 500_000 ? -r.nextDouble() * 708 : -r.nextDouble() * 2; // all, and the busy range
      double rel = Math.abs(FastExp.exp(x) - Math.exp(x)) / Math.exp(x);
      worst = Math.max(worst, rel);
    }
    assertTrue(worst < 1e-12, "worst relative error " + worst);
  }
}
