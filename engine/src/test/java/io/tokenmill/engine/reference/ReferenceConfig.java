package io.tokenmill.engine.reference;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The subset of a Hugging Face {@code config.json} that the reference decoder needs, with the defaults of
 * transformers' LlamaConfig / Qwen2Config / Qwen3Config. Anything the reference does not implement
 * (another model_type, hidden_act other than silu, mlp_bias, rope types other than default/llama3,
 * partial rotary) is rejected loudly rather than silently computed wrong.
 */
public final class ReferenceConfig {

    /** llama3 rope scaling parameters (HF {@code _compute_llama3_parameters}); null when no scaling. */
    public static final class Llama3RopeScaling {
        public final double factor;
        public final double lowFreqFactor;
        public final double highFreqFactor;
        public final double originalMaxPositionEmbeddings;

        public Llama3RopeScaling(double factor, double lowFreqFactor, double highFreqFactor,
                                 double originalMaxPositionEmbeddings) {
            this.factor = factor;
            this.lowFreqFactor = lowFreqFactor;
            this.highFreqFactor = highFreqFactor;
            this.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings;
        }
    }

    public final String modelType;
    public final int vocabSize;
    public final int hiddenSize;
    public final int intermediateSize;
    public final int numHiddenLayers;
    public final int numAttentionHeads;
    public final int numKeyValueHeads;
    public final int headDim;
    public final double rmsNormEps;
    public final double ropeTheta;
    public final Llama3RopeScaling ropeScaling;
    public final boolean tieWordEmbeddings;
    /** llama/qwen3: q,k,v,o biases iff true. Always false for qwen2 (which has q,k,v biases regardless). */
    public final boolean attentionBias;
    /** qwen2 only: sliding-window attention width when use_sliding_window is true, else 0 (disabled). */
    public final int slidingWindow;

    private ReferenceConfig(JsonObject c) {
        modelType = requireString(c, "model_type");
        if (!modelType.equals("llama") && !modelType.equals("qwen2") && !modelType.equals("qwen3")) {
            throw new IllegalArgumentException("unsupported model_type: " + modelType);
        }
        vocabSize = requireInt(c, "vocab_size");
        hiddenSize = requireInt(c, "hidden_size");
        intermediateSize = requireInt(c, "intermediate_size");
        numHiddenLayers = requireInt(c, "num_hidden_layers");
        numAttentionHeads = requireInt(c, "num_attention_heads");
        // HF: num_key_value_heads defaults to num_attention_heads (plain multi-head attention).
        numKeyValueHeads = has(c, "num_key_value_heads") ? c.get("num_key_value_heads").getAsInt() : numAttentionHeads;
        // HF: head_dim = config.head_dim if set, else hidden_size // num_attention_heads.
        headDim = has(c, "head_dim") ? c.get("head_dim").getAsInt() : hiddenSize / numAttentionHeads;
        rmsNormEps = has(c, "rms_norm_eps") ? c.get("rms_norm_eps").getAsDouble() : 1e-6;
        tieWordEmbeddings = has(c, "tie_word_embeddings") && c.get("tie_word_embeddings").getAsBoolean();
        attentionBias = !modelType.equals("qwen2") && has(c, "attention_bias") && c.get("attention_bias").getAsBoolean();
        boolean useSliding = modelType.equals("qwen2") && has(c, "use_sliding_window")
                && c.get("use_sliding_window").getAsBoolean();
        slidingWindow = useSliding && has(c, "sliding_window") ? c.get("sliding_window").getAsInt() : 0;

        if (has(c, "hidden_act") && !c.get("hidden_act").getAsString().equals("silu")) {
            throw new IllegalArgumentException("unsupported hidden_act: " + c.get("hidden_act"));
        }
        if (has(c, "mlp_bias") && c.get("mlp_bias").getAsBoolean()) {
            throw new IllegalArgumentException("mlp_bias=true is not supported by the reference");
        }
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for RoPE, got " + headDim);
        }

        // RoPE: transformers <= 4.x writes rope_theta + rope_scaling at top level; 5.x may write rope_parameters
        // {rope_type, rope_theta, ...}. Accept either; rope_parameters wins when present.
        JsonObject rope = has(c, "rope_parameters") ? c.getAsJsonObject("rope_parameters")
                : has(c, "rope_scaling") ? c.getAsJsonObject("rope_scaling") : null;
        if (rope != null && has(rope, "rope_theta")) {
            ropeTheta = rope.get("rope_theta").getAsDouble();
        } else {
            ropeTheta = has(c, "rope_theta") ? c.get("rope_theta").getAsDouble() : 10000.0;
        }
        if (rope != null && has(rope, "partial_rotary_factor") && rope.get("partial_rotary_factor").getAsDouble() != 1.0
                || has(c, "partial_rotary_factor") && c.get("partial_rotary_factor").getAsDouble() != 1.0) {
            throw new IllegalArgumentException("partial_rotary_factor != 1 is not supported by the reference");
        }
        // BC in HF: "rope_type" was originally called "type".
        String ropeType = rope == null ? "default"
                : has(rope, "rope_type") ? rope.get("rope_type").getAsString()
                : has(rope, "type") ? rope.get("type").getAsString() : "default";
        if (ropeType.equals("default")) {
            ropeScaling = null;
        } else if (ropeType.equals("llama3")) {
            ropeScaling = new Llama3RopeScaling(
                    requireDouble(rope, "factor"),
                    requireDouble(rope, "low_freq_factor"),
                    requireDouble(rope, "high_freq_factor"),
                    requireDouble(rope, "original_max_position_embeddings"));
        } else {
            throw new IllegalArgumentException("unsupported rope type: " + ropeType);
        }
    }

    /** Parses the text of a config.json. */
    public static ReferenceConfig parse(String json) {
        return new ReferenceConfig(JsonParser.parseString(json).getAsJsonObject());
    }

    /** Reads {@code modelDir/config.json}. */
    public static ReferenceConfig load(Path modelDir) {
        try {
            return parse(Files.readString(modelDir.resolve("config.json"), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config.json in " + modelDir, e);
        }
    }

    /** qwen2 always has q/k/v projection biases; llama and qwen3 have them iff attention_bias. */
    public boolean hasQkvBias() {
        return modelType.equals("qwen2") || attentionBias;
    }

    /** qwen2 never has an o_proj bias; llama and qwen3 have one iff attention_bias. */
    public boolean hasOutputBias() {
        return !modelType.equals("qwen2") && attentionBias;
    }

    /** qwen3 applies RMSNorm over head_dim to each q and k head (q_norm / k_norm) before RoPE. */
    public boolean hasQkNorm() {
        return modelType.equals("qwen3");
    }

    private static boolean has(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && !e.isJsonNull();
    }

    private static String requireString(JsonObject o, String key) {
        if (!has(o, key)) {
            throw new IllegalArgumentException("config.json lacks " + key);
        }
        return o.get(key).getAsString();
    }

    private static int requireInt(JsonObject o, String key) {
        if (!has(o, key)) {
            throw new IllegalArgumentException("config.json lacks " + key);
        }
        return o.get(key).getAsInt();
    }

    private static double requireDouble(JsonObject o, String key) {
        if (!has(o, key)) {
            throw new IllegalArgumentException("rope scaling lacks " + key);
        }
        return o.get(key).getAsDouble();
    }
}
