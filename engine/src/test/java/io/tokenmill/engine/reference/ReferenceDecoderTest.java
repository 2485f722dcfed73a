package io.tokenmill.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * (b) One-layer models with hand-chosen 2-d weights whose logits are computed by hand in the test:
 * zero blocks, a pure attention path (uniform causal averaging, then RoPE-dependent scores), a pure MLP path.
 * Hidden size 2, one head of head_dim 2, so RoPE rotates (v0, v1) by angle = pos * 1.
 */
class ReferenceDecoderTest {

    private static final double EPS = 1e-5;
    private static final float[] IDENTITY = {1, 0, 0, 1};

    @TempDir
    Path dir;

    /** llama/qwen3, vocab V, hidden 2, intermediate 1, one layer, one head of dim 2, all weights zero. */
    private static TinyModel zeroModel(String type, int vocab) {
        TinyModel m = TinyModel.of(type, vocab, 2, 1, 1, 1, 1, 2, false, false, null);
        m.config.addProperty("rms_norm_eps", EPS);
        return m;
    }

    /** Explicit RMSNorm of a 2-vector: v / sqrt((v0^2 + v1^2)/2 + eps) * w. */
    private static double[] rms(double[] v, double[] w) {
        double r = Math.sqrt((v[0] * v[0] + v[1] * v[1]) / 2 + EPS);
        return new double[] {v[0] / r * w[0], v[1] / r * w[1]};
    }

    private static final double[] ONES = {1, 1};

    /** 2-d rotation by angle: (a cos - b sin, b cos + a sin). */
    private static double[] rot(double[] v, double angle) {
        return new double[] {v[0] * Math.cos(angle) - v[1] * Math.sin(angle),
                v[1] * Math.cos(angle) + v[0] * Math.sin(angle)};
    }

    private static double[] add(double[] a, double[] b) {
        return new double[] {a[0] + b[0], a[1] + b[1]};
    }

    private static double[] scale(double[] a, double s) {
        return new double[] {a[0] * s, a[1] * s};
    }

    @Test
    void zeroAttentionAndMlpGiveLmHeadOfNormalisedEmbedding() throws IOException {
        TinyModel m = zeroModel("llama", 3);
        m.set("model.embed_tokens.weight", 3, 4, 1, -1, 0.5f, 2);
        m.set("model.norm.weight", 2, 0.5f);
        m.set("lm_head.weight", 1, 0, 0, 1, 1, 1);
        double[][] logits = ReferenceDecoder.load(m.write(dir, "F32")).logits(new int[] {0, 2, 1});
        double[][] emb = {{3, 4}, {1, -1}, {0.5, 2}};
        int[] tokens = {0, 2, 1};
        for (int t = 0; t < 3; t++) {
            double[] e = emb[tokens[t]];
            double r = Math.sqrt((e[0] * e[0] + e[1] * e[1]) / 2 + EPS);
            double n0 = e[0] / r * 2;
            double n1 = e[1] / r * 0.5;
            assertArrayEquals(new double[] {n0, n1, n0 + n1}, logits[t], 1e-12, "position " + t);
        }
        // e.g. token 0 = (3, 4): r = sqrt(12.5 + 1e-5), logits ~ (1.6970563, 0.5656854, 2.2627417)
        assertEquals(6 / Math.sqrt(12.5), logits[0][0], 1e-6);
    }

    @Test
    void zeroQueryAndKeyAttendUniformlyOverThePrefix() throws IOException {
        TinyModel m = zeroModel("llama", 2);
        m.set("model.embed_tokens.weight", 3, 4, 1, -1);
        m.set("model.layers.0.input_layernorm.weight", 1, 1);
        m.set("model.layers.0.self_attn.v_proj.weight", IDENTITY);
        m.set("model.layers.0.self_attn.o_proj.weight", IDENTITY);
        m.set("model.norm.weight", 1, 1);
        m.set("lm_head.weight", IDENTITY);
        double[][] logits = ReferenceDecoder.load(m.write(dir, "F32")).logits(new int[] {0, 1, 1});
        double[] e0 = {3, 4};
        double[] e1 = {1, -1};
        double[] n0 = rms(e0, ONES);
        double[] n1 = rms(e1, ONES);
        // scores are all 0 -> softmax is uniform over keys j <= i: output_i = mean(n_0..n_i)
        assertArrayEquals(rms(add(e0, n0), ONES), logits[0], 1e-12);
        assertArrayEquals(rms(add(e1, scale(add(n0, n1), 0.5)), ONES), logits[1], 1e-12);
        assertArrayEquals(rms(add(e1, scale(add(n0, add(n1, n1)), 1.0 / 3)), ONES), logits[2], 1e-12);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void ropeRotatesQueriesAndKeysByTheirPosition(String type) throws IOException {
        TinyModel m = zeroModel(type, 2);
        m.set("model.embed_tokens.weight", 3, 4, 1, -2);
        m.set("model.layers.0.input_layernorm.weight", 1, 1);
        for (String p : new String[] {"q", "k", "v", "o"}) {
            m.set("model.layers.0.self_attn." + p + "_proj.weight", IDENTITY);
        }
        double[] qw = {2, 0.5};
        double[] kw = {1.5, 1};
        if (type.equals("qwen3")) {
            m.set("model.layers.0.self_attn.q_norm.weight", 2, 0.5f);
            m.set("model.layers.0.self_attn.k_norm.weight", 1.5f, 1);
        }
        m.set("model.norm.weight", 1, 1);
        m.set("lm_head.weight", IDENTITY);
        double[][] logits = ReferenceDecoder.load(m.write(dir, "F32")).logits(new int[] {0, 1});

        double[] e0 = {3, 4};
        double[] e1 = {1, -2};
        double[] n0 = rms(e0, ONES);
        double[] n1 = rms(e1, ONES);
        boolean qkNorm = type.equals("qwen3");
        // qwen3: per-head RMSNorm on q and k BEFORE RoPE; then rotate by pos * inv_freq[0] = pos * 1.
        double[] q1 = rot(qkNorm ? rms(n1, qw) : n1, 1);
        double[] k0 = rot(qkNorm ? rms(n0, kw) : n0, 0);
        double[] k1 = rot(qkNorm ? rms(n1, kw) : n1, 1);
        double s0 = (q1[0] * k0[0] + q1[1] * k0[1]) / Math.sqrt(2);
        double s1 = (q1[0] * k1[0] + q1[1] * k1[1]) / Math.sqrt(2);
        double p0 = Math.exp(s0) / (Math.exp(s0) + Math.exp(s1));
        double p1 = 1 - p0;
        double[] attn = add(scale(n0, p0), scale(n1, p1));  // v = n (identity v_proj)
        assertArrayEquals(rms(add(e0, n0), ONES), logits[0], 1e-12, "single key: attention output = v_0");
        assertArrayEquals(rms(add(e1, attn), ONES), logits[1], 1e-12);
        assertTrue(Math.abs(p0 - 0.5) > 0.01, "test must not be degenerate: p0=" + p0);
    }

    @Test
    void swigluMlpMatchesHandComputation() throws IOException {
        TinyModel m = zeroModel("llama", 2);
        m.set("model.embed_tokens.weight", 3, 4, 1, -1);
        m.set("model.layers.0.post_attention_layernorm.weight", 1, 2);
        m.set("model.layers.0.mlp.gate_proj.weight", 0.5f, -1);   // [1, 2]
        m.set("model.layers.0.mlp.up_proj.weight", 2, 1);         // [1, 2]
        m.set("model.layers.0.mlp.down_proj.weight", 1, -0.5f);   // [2, 1]
        m.set("model.norm.weight", 1, 1);
        m.set("lm_head.weight", IDENTITY);
        double[][] logits = ReferenceDecoder.load(m.write(dir, "F32")).logits(new int[] {0});
        double[] e = {3, 4};
        double[] n = rms(e, new double[] {1, 2});
        double g = 0.5 * n[0] - n[1];
        double u = 2 * n[0] + n[1];
        double a = g / (1 + Math.exp(-g)) * u;  // silu(g) * u
        double[] x = {e[0] + 1 * a, e[1] - 0.5 * a};
        assertArrayEquals(rms(x, ONES), logits[0], 1e-12);
    }

    @Test
    void maxRelativeErrorIsNormalisedByTheReferenceScale() {
        float[] engine = {1.0f, 2.0f, -4.0f};
        double[] reference = {1.0, 2.5, -4.0};
        assertEquals(0.5 / 4.0, ReferenceDecoder.maxRelativeError(engine, reference), 1e-15);
        assertEquals(0.0, ReferenceDecoder.maxRelativeError(new float[] {0f}, new double[] {0.0}));
        assertEquals(0.5 / 1e-6, ReferenceDecoder.maxRelativeError(new float[] {0.5f}, new double[] {0.0}), 1e-3);
        assertEquals(Double.POSITIVE_INFINITY,
                ReferenceDecoder.maxRelativeError(new float[] {Float.NaN, 1f}, new double[] {0.0, 1.0}));
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceDecoder.maxRelativeError(new float[] {1f}, new double[] {1.0, 2.0}));
    }
}
