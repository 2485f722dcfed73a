package io.tokenmill.engine.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The shape of a decoder, parsed once from a HF {@code config.json}. HF key names are mapped here and
 * nowhere else; the record holds no runtime state. The compact constructor rejects shapes the forward
 * pass cannot run, with the HF key named.
 */
public record ModelConfig(
    ModelFamily family,
    ModelFamily.Architecture architecture,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    int bosTokenId,
    int[] eosTokenIds) {

  public ModelConfig {
    require(vocabSize > 0, "vocab_size must be > 0");
    require(hiddenSize > 0, "hidden_size must be > 0");
    require(intermediateSize > 0, "intermediate_size must be > 0");
    require(numLayers > 0, "num_hidden_layers must be > 0");
    require(numHeads > 0, "num_attention_heads must be > 0");
    require(numKvHeads > 0 && numHeads % numKvHeads == 0,
        "num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
    require(headDim > 0 && headDim % 2 == 0, "head_dim must be even and > 0 (RoPE rotates halves), got " + headDim);
    require(rmsNormEps > 0, "rms_norm_eps must be > 0");
    require(ropeTheta > 0, "rope_theta must be > 0");
    require(maxPositionEmbeddings > 0, "max_position_embeddings must be > 0");
    eosTokenIds = eosTokenIds.clone();
  }

  /** Query heads per KV head (GQA group size; 1 = plain multi-head attention). */
  public int groupSize() {
    return numHeads / numKvHeads;
  }

  public String modelType() {
    return family.modelType();
  }

  /** Parameters in the checkpoint (the embedding counted once when tied). */
  public long parameterCount() {
    long h = hiddenSize;
    long q = (long) numHeads * headDim;
    long kv = (long) numKvHeads * headDim;
    long perLayer = h * (q + 2 * kv) + q * h + 3 * h * intermediateSize + 2 * h;
    if (architecture.qkvBias()) perLayer += q + 2 * kv;
    if (architecture.outputBias()) perLayer += h;
    if (architecture.qkNorm()) perLayer += 2L * headDim;
    long embed = (long) vocabSize * h;
    return numLayers * perLayer + h + embed + (tieWordEmbeddings ? 0 : embed);
  }

  @Override
  public int[] eosTokenIds() {
    return eosTokenIds.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelConfig c && toString().equals(c.toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }

  @Override
  public String toString() {
    return "ModelConfig[" + modelType() + ", " + architecture + ", vocab=" + vocabSize + ", hidden=" + hiddenSize
        + ", intermediate=" + intermediateSize + ", layers=" + numLayers + ", heads=" + numHeads + "/" + numKvHeads
        + ", headDim=" + headDim + ", eps=" + rmsNormEps + ", theta=" + ropeTheta + ", scaling=" + ropeScaling
        + ", maxPos=" + maxPositionEmbeddings + ", tied=" + tieWordEmbeddings + ", bos=" + bosTokenId
        + ", eos=" + Arrays.toString(eosTokenIds) + "]";
  }

  /** Reads and validates {@code config.json}; errors name the file and the key. */
  public static ModelConfig read(Path configJson) {
    JsonObject json;
    try (Reader r = Files.newBufferedReader(configJson)) {
      json = JsonParser.parseReader(r).getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(configJson + ": cannot read as a JSON object: " + e.getMessage(), e);
    }
    try {
      return fromJson(json);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
    }
  }

  /** Maps HF config keys to the record. */
  public static ModelConfig fromJson(JsonObject json) {
    ModelFamily family = ModelFamily.forModelType(string(json, "model_type", null));
    String act = string(json, "hidden_act", "silu");
    require("silu".equals(act), "hidden_act '" + act + "' is not supported (only silu)");
    require(!bool(json, "mlp_bias", false), "mlp_bias=true is not supported");
    require(!bool(json, "use_sliding_window", false), "use_sliding_window=true is not supported");
    int hidden = integer(json, "hidden_size", null);
    int heads = integer(json, "num_attention_heads", null);
    require(json.has("head_dim") && !json.get("head_dim").isJsonNull() || hidden % heads == 0,
        "hidden_size must be a multiple of num_attention_heads when head_dim is absent");
    return new ModelConfig(
        family,
        family.architecture(json),
        integer(json, "vocab_size", null),
        hidden,
        integer(json, "intermediate_size", null),
        integer(json, "num_hidden_layers", null),
        heads,
        integer(json, "num_key_value_heads", heads),
        integer(json, "head_dim", hidden / heads),
        number(json, "rms_norm_eps", 1e-6),
        number(json, "rope_theta", 10000.0),
        ropeScaling(json),
        integer(json, "max_position_embeddings", 2048),
        bool(json, "tie_word_embeddings", false),
        json.has("bos_token_id") && !json.get("bos_token_id").isJsonNull() ? idList(json.get("bos_token_id"))[0] : -1,
        json.has("eos_token_id") && !json.get("eos_token_id").isJsonNull() ? idList(json.get("eos_token_id")) : new int[0]);
  }

  /** A token id given as an int or a list of ints (HF allows both for eos). */
  public static int[] idList(JsonElement e) {
    if (e.isJsonArray()) {
      JsonArray a = e.getAsJsonArray();
      int[] ids = new int[a.size()];
      for (int i = 0; i < ids.length; i++) ids[i] = a.get(i).getAsInt();
      return ids;
    }
    return new int[] {e.getAsInt()};
  }

  private static RopeScaling ropeScaling(JsonObject json) {
    if (!json.has("rope_scaling") || json.get("rope_scaling").isJsonNull()) {
      return null;
    }
    JsonObject s = json.getAsJsonObject("rope_scaling");
    String type = s.has("rope_type") ? s.get("rope_type").getAsString() : string(s, "type", "default");
    if ("default".equals(type)) {
      return null;
    }
    return new RopeScaling(type,
        number(s, "factor", null), number(s, "low_freq_factor", 1.0), number(s, "high_freq_factor", 4.0),
        integer(s, "original_max_position_embeddings", 8192));
  }

  static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }

  private static JsonElement get(JsonObject json, String key, Object dflt) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) {
      require(dflt != null, "missing required key '" + key + "'");
      return null;
    }
    return e;
  }

  private static int integer(JsonObject json, String key, Integer dflt) {
    JsonElement e = get(json, key, dflt);
    try {
      return e == null ? dflt : e.getAsInt();
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("key '" + key + "' must be an integer, got " + e);
    }
  }

  private static double number(JsonObject json, String key, Double dflt) {
    JsonElement e = get(json, key, dflt);
    try {
      return e == null ? dflt : e.getAsDouble();
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("key '" + key + "' must be a number, got " + e);
    }
  }

  private static boolean bool(JsonObject json, String key, boolean dflt) {
    JsonElement e = json.get(key);
    return e == null || e.isJsonNull() ? dflt : e.getAsBoolean();
  }

  private static String string(JsonObject json, String key, String dflt) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) {
      require(dflt != null, "missing required key '" + key + "'");
      return dflt;
    }
    return e.getAsString();
  }
}
