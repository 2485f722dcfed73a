package io.tokenmill.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Properties of the full forward pass on random tiny models: (c) causality, (d) GQA equals replicated MHA,
 * (g) sharded = single file, dtype equivalence, tied embeddings, qwen3 q/k norm, loud failures.
 */
class ReferenceDecoderPropertyTest {

    @TempDir
    Path dir;

    private static final int[] TOKENS = {1, 5, 2, 9, 3, 0, 12};

    /** vocab 13, hidden 16, intermediate 24, 2 layers, 4 heads, head_dim 4 (so q dim = hidden). */
    private static TinyModel random(String type, int kvHeads, boolean attentionBias, boolean tie, long seed) {
        return TinyModel.of(type, 13, 16, 24, 2, 4, kvHeads, 4, attentionBias, tie, new Random(seed));
    }

    private static double[][] run(TinyModel m, Path dir, int[] tokens) throws IOException {
        return ReferenceDecoder.load(m.write(dir, "F32")).logits(tokens);
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void logitsHaveOneFiniteVocabRowPerPosition(String type) throws IOException {
        double[][] logits = run(random(type, 2, true, false, 1), dir, TOKENS);
        assertEquals(TOKENS.length, logits.length);
        for (double[] row : logits) {
            assertEquals(13, row.length);
            assertTrue(Arrays.stream(row).allMatch(Double::isFinite));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void logitsAtPositionIDoNotDependOnLaterTokens(String type) throws IOException {
        TinyModel m = random(type, 2, false, false, 2);
        ReferenceDecoder d = ReferenceDecoder.load(m.write(dir, "F32"));
        int[] changed = {1, 5, 2, 9, 7, 8, 4};  // same first 4 tokens
        double[][] a = d.logits(TOKENS);
        double[][] b = d.logits(changed);
        double[][] prefix = d.logits(Arrays.copyOf(TOKENS, 4));
        for (int t = 0; t < 4; t++) {
            assertArrayEquals(a[t], b[t], 0.0, "position " + t);
            assertArrayEquals(a[t], prefix[t], 0.0, "position " + t);
        }
        assertFalse(Arrays.equals(a[4], b[4]), "later positions must see their own tokens");
        assertFalse(Arrays.equals(a[5], b[5]), "position 5 must see the changed token at 4");
    }

    /** A copy of m with numKv = numHeads where kv head h is m's kv head h / (numHeads / m's numKv). */
    private static TinyModel replicateKvHeads(TinyModel m, int heads, int kvHeads, int headDim, int hidden) {
        TinyModel r = new TinyModel();
        r.config.asMap().putAll(m.config.deepCopy().asMap());
        r.config.addProperty("num_key_value_heads", heads);
        int group = heads / kvHeads;
        for (String name : m.tensors.keySet()) {
            float[] data = m.tensors.get(name);
            int[] shape = m.shapes.get(name);
            boolean kOrV = name.contains("self_attn.k_proj.") || name.contains("self_attn.v_proj.");
            if (kOrV) {
                int rowLen = shape.length == 2 ? hidden : 1;  // weight rows have `hidden` columns; bias rows 1
                float[] out = new float[heads * headDim * rowLen];
                for (int h = 0; h < heads; h++) {
                    int src = (h / group) * headDim * rowLen;
                    System.arraycopy(data, src, out, h * headDim * rowLen, headDim * rowLen);
                }
                data = out;
                shape = shape.length == 2 ? new int[] {heads * headDim, hidden} : new int[] {heads * headDim};
            }
            r.tensors.put(name, data);
            r.shapes.put(name, shape);
        }
        return r;
    }

    @ParameterizedTest
    @CsvSource({"qwen2,1", "qwen2,2", "llama,2", "qwen3,1", "qwen3,2"})
    void groupedQueryAttentionEqualsReplicatedMultiHead(String type, int kvHeads) throws IOException {
        TinyModel gqa = random(type, kvHeads, false, false, 3);
        TinyModel mha = replicateKvHeads(gqa, 4, kvHeads, 4, 16);
        double[][] a = run(gqa, dir.resolve("gqa"), TOKENS);
        double[][] b = run(mha, dir.resolve("mha"), TOKENS);
        for (int t = 0; t < TOKENS.length; t++) {
            assertArrayEquals(a[t], b[t], 1e-12, "position " + t);
        }
    }

    @Test
    void shardedModelGivesTheSameLogitsAsASingleFile() throws IOException {
        TinyModel m = random("qwen3", 2, false, false, 4);
        double[][] single = run(m, dir.resolve("single"), TOKENS);
        double[][] sharded = ReferenceDecoder.load(m.writeSharded(dir.resolve("sharded"), 3)).logits(TOKENS);
        assertTrue(Arrays.deepEquals(single, sharded));
    }

    @ParameterizedTest
    @ValueSource(strings = {"BF16", "F16"})
    void halfPrecisionFilesDecodeToTheSameModel(String dtype) throws IOException {
        TinyModel m = random("qwen2", 2, false, false, 5);  // weights are multiples of 1/256: exact in all dtypes
        double[][] f32 = run(m, dir.resolve("f32"), TOKENS);
        double[][] half = ReferenceDecoder.load(m.write(dir.resolve(dtype), dtype)).logits(TOKENS);
        assertTrue(Arrays.deepEquals(f32, half));
    }

    @Test
    void tiedEmbeddingsUseEmbedTokensAsLmHead() throws IOException {
        TinyModel tied = random("qwen3", 2, false, true, 6);
        TinyModel untied = random("qwen3", 2, false, true, 6);
        untied.config.addProperty("tie_word_embeddings", false);
        untied.tensors.put("lm_head.weight", tied.tensors.get("model.embed_tokens.weight").clone());
        untied.shapes.put("lm_head.weight", new int[] {13, 16});
        assertTrue(Arrays.deepEquals(run(tied, dir.resolve("t"), TOKENS), run(untied, dir.resolve("u"), TOKENS)));
    }

    @Test
    void qwen3QkNormMakesScoresInvariantToScalingTheQueryProjection() throws IOException {
        for (String type : new String[] {"qwen3", "llama"}) {
            TinyModel m = random(type, 2, false, false, 7);
            double[][] base = run(m, dir.resolve(type + "-base"), TOKENS);
            for (int l = 0; l < 2; l++) {
                String name = "model.layers." + l + ".self_attn.q_proj.weight";
                float[] w = m.tensors.get(name).clone();
                for (int i = 0; i < w.length; i++) {
                    w[i] *= 4;
                }
                m.set(name, w);
            }
            double[][] scaled = run(m, dir.resolve(type + "-scaled"), TOKENS);
            double err = ReferenceDecoder.maxRelativeError(toFloat(scaled[6]), base[6]);
            if (type.equals("qwen3")) {
                assertTrue(err < 1e-5, "qwen3 q_norm must cancel the scale, err=" + err);
            } else {
                assertTrue(err > 1e-3, "llama has no q_norm, scaling q must matter, err=" + err);
            }
        }
    }

    @Test
    void qwen2BiasesAreUsedEvenWithoutAttentionBias() throws IOException {
        TinyModel m = random("qwen2", 2, false, false, 8);
        double[][] withBias = run(m, dir.resolve("a"), TOKENS);
        m.set("model.layers.0.self_attn.v_proj.bias", new float[8]);
        double[][] zeroBias = run(m, dir.resolve("b"), TOKENS);
        assertFalse(Arrays.equals(withBias[6], zeroBias[6]));
        m.tensors.remove("model.layers.0.self_attn.k_proj.bias");
        m.shapes.remove("model.layers.0.self_attn.k_proj.bias");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(m, dir.resolve("c"), TOKENS));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.k_proj.bias"), e.getMessage());
    }

    @Test
    void llamaAttentionBiasRequiresTheOutputProjectionBias() throws IOException {
        TinyModel m = random("llama", 2, true, false, 9);
        run(m, dir.resolve("ok"), TOKENS);
        m.tensors.remove("model.layers.1.self_attn.o_proj.bias");
        m.shapes.remove("model.layers.1.self_attn.o_proj.bias");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(m, dir.resolve("bad"), TOKENS));
        assertTrue(e.getMessage().contains("o_proj.bias"), e.getMessage());
    }

    @Test
    void missingOrMisshapedTensorsFailLoudly() throws IOException {
        TinyModel noLmHead = random("llama", 2, false, false, 10);
        noLmHead.tensors.remove("lm_head.weight");
        noLmHead.shapes.remove("lm_head.weight");
        assertThrows(IllegalArgumentException.class, () -> run(noLmHead, dir.resolve("a"), TOKENS));

        TinyModel wrongHeadDim = random("llama", 2, false, false, 10);
        wrongHeadDim.config.addProperty("head_dim", 8);
        assertThrows(IllegalArgumentException.class, () -> run(wrongHeadDim, dir.resolve("b"), TOKENS));

        TinyModel ok = random("llama", 2, false, false, 10);
        ReferenceDecoder d = ReferenceDecoder.load(ok.write(dir.resolve("c"), "F32"));
        assertThrows(IllegalArgumentException.class, () -> d.logits(new int[] {13}));
        assertThrows(IllegalArgumentException.class, () -> d.logits(new int[] {}));
    }
}
