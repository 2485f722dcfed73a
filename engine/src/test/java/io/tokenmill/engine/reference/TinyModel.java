package io.tokenmill.engine.reference;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Test-only builder of tiny HF-layout model directories (config.json + safetensors). Random weights are
 * multiples of 1/256 in (-1, 1), so they are exact in F32, BF16 and F16 alike.
 */
public final class TinyModel {

    public final JsonObject config = new JsonObject();
    public final Map<String, float[]> tensors = new LinkedHashMap<>();
    public final Map<String, int[]> shapes = new LinkedHashMap<>();

    /** A model of the given architecture: every tensor random (see {@link #put}), or all zeros when random is null. */
    public static TinyModel of(String modelType, int vocab, int hidden, int inter, int layers, int heads, int kvHeads,
                        int headDim, boolean attentionBias, boolean tie, Random random) {
        TinyModel m = new TinyModel();
        JsonObject c = m.config;
        c.addProperty("model_type", modelType);
        c.addProperty("vocab_size", vocab);
        c.addProperty("hidden_size", hidden);
        c.addProperty("intermediate_size", inter);
        c.addProperty("num_hidden_layers", layers);
        c.addProperty("num_attention_heads", heads);
        c.addProperty("num_key_value_heads", kvHeads);
        c.addProperty("head_dim", headDim);
        c.addProperty("rms_norm_eps", 1e-6);
        c.addProperty("rope_theta", 10000.0);
        c.addProperty("hidden_act", "silu");
        c.addProperty("attention_bias", attentionBias);
        c.addProperty("tie_word_embeddings", tie);
        boolean qkvBias = modelType.equals("qwen2") || attentionBias;
        boolean oBias = !modelType.equals("qwen2") && attentionBias;
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        m.put("model.embed_tokens.weight", random, vocab, hidden);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", random, hidden);
            m.put(p + "self_attn.q_proj.weight", random, q, hidden);
            m.put(p + "self_attn.k_proj.weight", random, kv, hidden);
            m.put(p + "self_attn.v_proj.weight", random, kv, hidden);
            m.put(p + "self_attn.o_proj.weight", random, hidden, q);
            if (qkvBias) {
                m.put(p + "self_attn.q_proj.bias", random, q);
                m.put(p + "self_attn.k_proj.bias", random, kv);
                m.put(p + "self_attn.v_proj.bias", random, kv);
            }
            if (oBias) {
                m.put(p + "self_attn.o_proj.bias", random, hidden);
            }
            if (modelType.equals("qwen3")) {
                m.put(p + "self_attn.q_norm.weight", random, headDim);
                m.put(p + "self_attn.k_norm.weight", random, headDim);
            }
            m.put(p + "post_attention_layernorm.weight", random, hidden);
            m.put(p + "mlp.gate_proj.weight", random, inter, hidden);
            m.put(p + "mlp.up_proj.weight", random, inter, hidden);
            m.put(p + "mlp.down_proj.weight", random, hidden, inter);
        }
        m.put("model.norm.weight", random, hidden);
        if (!tie) {
            m.put("lm_head.weight", random, vocab, hidden);
        }
        return m;
    }

    /** Adds a tensor of the given shape: random multiples of 1/256 in (-1, 1), or zeros when random is null. */
    public void put(String name, Random random, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        float[] data = new float[n];
        if (random != null) {
            for (int i = 0; i < n; i++) {
                data[i] = (random.nextInt(511) - 255) / 256f;
            }
        }
        tensors.put(name, data);
        shapes.put(name, shape.clone());
    }

    /** Replaces the data of an existing tensor (same element count). */
    public void set(String name, float... data) {
        float[] old = tensors.get(name);
        if (old == null || old.length != data.length) {
            throw new IllegalArgumentException("bad set of " + name);
        }
        tensors.put(name, data.clone());
    }

    /** Writes config.json and a single model.safetensors (all tensors in {@code dtype}); returns the dir. */
    public Path write(Path dir, String dtype) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
        TinySafetensorsWriter w = new TinySafetensorsWriter();
        for (String name : tensors.keySet()) {
            w.add(name, dtype, shapes.get(name), tensors.get(name));
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    /** Writes config.json, {@code shards} F32 shard files round-robin, and model.safetensors.index.json. */
    public Path writeSharded(Path dir, int shards) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
        List<TinySafetensorsWriter> writers = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            writers.add(new TinySafetensorsWriter());
        }
        JsonObject weightMap = new JsonObject();
        int i = 0;
        for (String name : tensors.keySet()) {
            int s = i++ % shards;
            writers.get(s).add(name, "F32", shapes.get(name), tensors.get(name));
            weightMap.addProperty(name, shardName(s, shards));
        }
        for (int s = 0; s < shards; s++) {
            writers.get(s).write(dir.resolve(shardName(s, shards)));
        }
        JsonObject index = new JsonObject();
        index.add("metadata", new JsonObject());
        index.add("weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString(), StandardCharsets.UTF_8);
        return dir;
    }

    private static String shardName(int s, int shards) {
        return String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
    }
}
