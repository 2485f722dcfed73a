package io.tokenmill.engine.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** config.json parsing: HF defaults, bias rules per model_type, rope_scaling variants, loud rejections. */
class ReferenceConfigTest {

    private static final String BASE = "\"vocab_size\":10,\"hidden_size\":12,\"intermediate_size\":20,"
            + "\"num_hidden_layers\":2,\"num_attention_heads\":3";

    private static ReferenceConfig parse(String modelType, String extra) {
        return ReferenceConfig.parse("{\"model_type\":\"" + modelType + "\"," + BASE + extra + "}");
    }

    @Test
    void defaults() {
        ReferenceConfig c = parse("llama", "");
        assertEquals(3, c.numKeyValueHeads);   // = num_attention_heads
        assertEquals(4, c.headDim);            // = hidden_size / num_attention_heads
        assertEquals(10000.0, c.ropeTheta);
        assertEquals(1e-6, c.rmsNormEps);
        assertNull(c.ropeScaling);
        assertFalse(c.tieWordEmbeddings);
        assertFalse(c.hasQkvBias());
        assertFalse(c.hasOutputBias());
        assertFalse(c.hasQkNorm());
    }

    @Test
    void explicitValuesAndNulls() {
        ReferenceConfig c = parse("qwen3", ",\"num_key_value_heads\":1,\"head_dim\":8,\"rms_norm_eps\":1e-5,"
                + "\"rope_theta\":1000000.0,\"tie_word_embeddings\":true,\"rope_scaling\":null");
        assertEquals(1, c.numKeyValueHeads);
        assertEquals(8, c.headDim);
        assertEquals(1e-5, c.rmsNormEps);
        assertEquals(1e6, c.ropeTheta);
        assertTrue(c.tieWordEmbeddings);
        assertTrue(c.hasQkNorm());
        assertNull(c.ropeScaling);
    }

    @Test
    void biasRules() {
        assertTrue(parse("qwen2", "").hasQkvBias());
        assertFalse(parse("qwen2", ",\"attention_bias\":true").hasOutputBias());
        assertTrue(parse("llama", ",\"attention_bias\":true").hasQkvBias());
        assertTrue(parse("llama", ",\"attention_bias\":true").hasOutputBias());
        assertTrue(parse("qwen3", ",\"attention_bias\":true").hasOutputBias());
        assertFalse(parse("qwen3", ",\"attention_bias\":false").hasQkvBias());
    }

    @Test
    void ropeScalingAcceptsLegacyTypeKeyAndRopeParameters() {
        ReferenceConfig legacy = parse("llama", ",\"rope_scaling\":{\"type\":\"llama3\",\"factor\":32.0,"
                + "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192}");
        assertEquals(32.0, legacy.ropeScaling.factor);
        assertEquals(8192.0, legacy.ropeScaling.originalMaxPositionEmbeddings);
        ReferenceConfig v5 = parse("llama", ",\"rope_parameters\":{\"rope_type\":\"llama3\",\"rope_theta\":500000.0,"
                + "\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
                + "\"original_max_position_embeddings\":8192}");
        assertEquals(500000.0, v5.ropeTheta);
        assertEquals(8.0, v5.ropeScaling.factor);
        assertNull(parse("qwen2", ",\"rope_scaling\":{\"rope_type\":\"default\"}").ropeScaling);
    }

    @Test
    void unsupportedFeaturesFailLoudly() {
        assertThrows(IllegalArgumentException.class, () -> parse("mistral", ""));
        assertThrows(IllegalArgumentException.class, () -> parse("llama", ",\"hidden_act\":\"gelu\""));
        assertThrows(IllegalArgumentException.class, () -> parse("llama", ",\"mlp_bias\":true"));
        assertThrows(IllegalArgumentException.class, () -> parse("llama", ",\"num_key_value_heads\":2"));
        assertThrows(IllegalArgumentException.class,
                () -> parse("llama", ",\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4.0}"));
        assertThrows(IllegalArgumentException.class,
                () -> parse("llama", ",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0}"));
        assertThrows(IllegalArgumentException.class, () -> ReferenceConfig.parse("{\"model_type\":\"llama\"}"));
    }
}
