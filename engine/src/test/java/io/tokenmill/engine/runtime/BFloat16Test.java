package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bf16 casts and GEMM that DJL 0.36 reaches only through {@link BFloat16}'s TorchScript module. */
class BFloat16Test {

  /** Round to nearest even on the top 16 bits of an fp32 — the bf16 value, as an fp32. */
  private static float bf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) return f;
    bits += 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(bits & 0xFFFF0000);
  }

  @Test
  void castRoundsToNearestEvenAndWidensExactly() {
    SplittableRandom rnd = new SplittableRandom(3);
    float[] x = new float[4096];
    for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-6, 6)));
    x[0] = 1f + 1f / 256; // a tie: 1 + 2^-8 sits halfway between two bf16 values, rounds to the even one (1)
    x[1] = 1f + 3f / 256; // halfway between 1 + 2^-7 and 1 + 2^-6: rounds up, to the even one
    x[2] = Float.POSITIVE_INFINITY;
    x[3] = -0f;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray b = BFloat16.cast(m.create(x), m);
      assertEquals(DataType.UNKNOWN, b.getDataType(), "DJL has no name for bf16");
      float[] back = b.toType(DataType.FLOAT32, false).toFloatArray();
      for (int i = 0; i < x.length; i++) {
        assertEquals(Float.floatToIntBits(bf16(x[i])), Float.floatToIntBits(back[i]), "value " + i + ": " + x[i]);
      }
      assertEquals(1f, back[0]);
      assertEquals(1f + 4f / 256, back[1]);
      assertTrue(Float.isNaN(BFloat16.cast(m.create(new float[] {Float.NaN}), m).toType(DataType.FLOAT32, false)
          .toFloatArray()[0]), "NaN stays NaN");
    }
  }

  @Test
  void linearMultipliesByTheRoundedWeightsWithinBf16Rounding() {
    SplittableRandom rnd = new SplittableRandom(5);
    int rows = 7, in = 96, out = 40;
    float[] x = new float[rows * in];
    float[] w = new float[out * in];
    float[] add = new float[rows * out];
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
    for (int i = 0; i < add.length; i++) add[i] = (float) rnd.nextGaussian();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray wb = BFloat16.cast(m.create(w, new Shape(out, in)), m);
      NDArray xs = m.create(x, new Shape(rows, in));
      float[] y = BFloat16.linear(xs, wb, m).toFloatArray();
      float[] ya = BFloat16.linearAdd(xs, wb, m.create(add, new Shape(rows, out)), m).toFloatArray();
      double worst = 0;
      for (int r = 0; r < rows; r++) {
        for (int o = 0; o < out; o++) {
          double exact = 0; // float64 product of the bf16-rounded operands
          double scale = 0;
          for (int k = 0; k < in; k++) {
            exact += (double) bf16(x[r * in + k]) * bf16(w[o * in + k]);
            scale += Math.abs((double) bf16(x[r * in + k]) * bf16(w[o * in + k]));
          }
          // fp32 accumulation, then the product rounded to bf16 (2^-8 relative)
          double err = Math.abs(y[r * out + o] - exact) / scale;
          worst = Math.max(worst, err);
          assertTrue(err <= 1.0 / 256 + 1e-5, "y[" + r + "," + o + "] = " + y[r * out + o] + ", exact " + exact);
          assertEquals(y[r * out + o] + add[r * out + o], ya[r * out + o], 1e-5, "linear_add adds after widening");
        }
      }
      assertTrue(worst > 0, "no rounding at all: was the product computed in fp32?");
    }
  }
}
