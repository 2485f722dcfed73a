package io.tokenmill.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** (a) RoPE properties and pairing convention, (f) llama3 frequency scaling against hand-computed values. */
class ReferenceRopeTest {

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double[] random(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    @Test
    void defaultFrequenciesAreInversePowersOfTheta() {
        // head_dim 8, theta 10000: 1 / 10000^(0/8, 2/8, 4/8, 6/8) = 1, 0.1, 0.01, 0.001
        double[] f = ReferenceRope.defaultInverseFrequencies(10000.0, 8);
        assertArrayEquals(new double[] {1.0, 0.1, 0.01, 0.001}, f, 1e-15);
    }

    @Test
    void positionZeroIsTheIdentity() {
        double[] invFreq = ReferenceRope.defaultInverseFrequencies(10000.0, 16);
        double[] v = random(new Random(1), 16);
        assertArrayEquals(v, ReferenceRope.apply(v, 0, invFreq), 0.0);
    }

    @Test
    void elementIPairsWithIPlusHalfHeadDim() {
        // head_dim 4, inv_freq = {1, 0.01}: a unit vector in slot 0 rotates into slot 2 (= 0 + hd/2), never slot 1.
        double[] invFreq = ReferenceRope.defaultInverseFrequencies(10000.0, 4);
        assertArrayEquals(new double[] {1.0, 0.01}, invFreq, 1e-15);
        double[] out = ReferenceRope.apply(new double[] {1, 0, 0, 0}, 1, invFreq);
        assertArrayEquals(new double[] {Math.cos(1), 0, Math.sin(1), 0}, out, 1e-15);
        // and slot 3 rotates back into slot 1 with the sign of rotate_half: out[1] = -v[3] * sin
        double[] out2 = ReferenceRope.apply(new double[] {0, 0, 0, 1}, 3, invFreq);
        assertArrayEquals(new double[] {0, -Math.sin(0.03), 0, Math.cos(0.03)}, out2, 1e-15);
    }

    @Test
    void scoresDependOnlyOnRelativePosition() {
        Random r = new Random(7);
        double[] invFreq = ReferenceRope.defaultInverseFrequencies(500000.0, 16);
        double[] q = random(r, 16);
        double[] k = random(r, 16);
        for (int[] mn : new int[][] {{3, 1}, {0, 0}, {10, 4}, {2, 9}}) {
            int m = mn[0];
            int n = mn[1];
            double s = dot(ReferenceRope.apply(q, m, invFreq), ReferenceRope.apply(k, n, invFreq));
            double shifted = dot(ReferenceRope.apply(q, m + 5, invFreq), ReferenceRope.apply(k, n + 5, invFreq));
            assertEquals(s, shifted, 1e-12, "m=" + m + " n=" + n);
        }
        // sanity: the score does depend on the relative offset
        double s31 = dot(ReferenceRope.apply(q, 3, invFreq), ReferenceRope.apply(k, 1, invFreq));
        double s13 = dot(ReferenceRope.apply(q, 1, invFreq), ReferenceRope.apply(k, 3, invFreq));
        assertNotEquals(s31, s13, 1e-6);
    }

    @Test
    void rotationPreservesNorm() {
        double[] invFreq = ReferenceRope.defaultInverseFrequencies(10000.0, 8);
        double[] v = random(new Random(2), 8);
        double[] out = ReferenceRope.apply(v, 123, invFreq);
        assertEquals(dot(v, v), dot(out, out), 1e-12);
    }

    @Test
    void llama3ScalingMatchesHandComputedValues() {
        // head_dim 8, theta 10000 -> inv_freq {1, 0.1, 0.01, 0.001}; wavelen = 2*pi/f = {6.28, 62.8, 628.3, 6283.2}.
        // factor 8, low_freq_factor 1, high_freq_factor 4, original_max_position_embeddings 1000:
        //   low_freq_wavelen = 1000, high_freq_wavelen = 250.
        //   f=1     : 6.28 < 250           -> unchanged 1
        //   f=0.1   : 62.8 < 250           -> unchanged 0.1
        //   f=0.01  : 250 <= 628.3 <= 1000 -> smooth = (1000/(200*pi) - 1)/(4 - 1) = (5/pi - 1)/3 = 0.19718314...
        //             (1 - smooth) * 0.01/8 + smooth * 0.01 = 0.00100352107 + 0.00197183144 = 0.0029753525
        //   f=0.001 : 6283 > 1000          -> 0.001 / 8 = 0.000125
        double[] base = ReferenceRope.defaultInverseFrequencies(10000.0, 8);
        double[] f = ReferenceRope.llama3InverseFrequencies(base, 8.0, 1.0, 4.0, 1000.0);
        assertEquals(1.0, f[0], 1e-15);
        assertEquals(0.1, f[1], 1e-15);
        assertEquals(0.0029753525, f[2], 1e-10);
        assertEquals(0.000125, f[3], 1e-15);
    }

    @Test
    void llama3ScalingIsReadFromConfig() {
        String json = "{\"model_type\":\"llama\",\"vocab_size\":4,\"hidden_size\":16,\"intermediate_size\":4,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"rope_theta\":10000.0,"
                + "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,"
                + "\"high_freq_factor\":4.0,\"original_max_position_embeddings\":1000}}";
        double[] f = ReferenceRope.inverseFrequencies(ReferenceConfig.parse(json));
        assertArrayEquals(new double[] {1.0, 0.1, 0.0029753525, 0.000125}, f, 1e-10);
    }
}
