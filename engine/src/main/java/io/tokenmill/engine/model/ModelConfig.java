package io.tokenmill.engine.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
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

  /*
   * Upper bounds on the sizes a config.json may declare: several times the largest published dense models,
   * and low enough that the shapes derived from them (per-layer tensor lists, RoPE tables, KV sizes) stay
   * cheap to compute and inside long arithmetic. A downloaded config beyond them is an error naming the key.
   */
  public static final int MAX_VOCAB_SIZE = 1 << 24;
  public static final int MAX_HIDDEN_SIZE = 1 << 16;
  public static final int MAX_INTERMEDIATE_SIZE = 1 << 20;
  public static final int MAX_LAYERS = 1024;
  public static final int MAX_HEADS = 1024;
  public static final int MAX_HEAD_DIM = 1024;
  public static final int MAX_POSITIONS = 1 << 24;

  public ModelConfig {
    requireSize("vocab_size", vocabSize, MAX_VOCAB_SIZE);
    requireSize("hidden_size", hiddenSize, MAX_HIDDEN_SIZE);
    requireSize("intermediate_size", intermediateSize, MAX_INTERMEDIATE_SIZE);
    requireSize("num_hidden_layers", numLayers, MAX_LAYERS);
    requireSize("num_attention_heads", numHeads, MAX_HEADS);
    requireSize("num_key_value_heads", numKvHeads, MAX_HEADS);
    requireSize("head_dim", headDim, MAX_HEAD_DIM);
    requireSize("max_position_embeddings", maxPositionEmbeddings, MAX_POSITIONS);
    require(numKvHeads > 0 && numHeads % numKvHeads == 0,
        "num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
    require(headDim > 0 && headDim % 2 == 0, "head_dim must be even and > 0 (RoPE rotates halves), got " + headDim);
    require(rmsNormEps > 0, "rms_norm_eps must be > 0");
    require(ropeTheta > 0, "rope_theta must be > 0");
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
    try {
      json = JsonFields.readObject(configJson);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(configJson.getParent() + "/" + e.getMessage());
    }
    try {
      return fromJson(json);
    } catch (IllegalArgumentException e) {
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
    bool(json, "attention_bias", false); // read by the family; checked here so a wrong type names the key
    int hidden = integer(json, "hidden_size", null);
    int heads = integer(json, "num_attention_heads", null);
    requireSize("hidden_size", hidden, MAX_HIDDEN_SIZE);
    requireSize("num_attention_heads", heads, MAX_HEADS);
    require(json.has("head_dim") && !json.get("head_dim").isJsonNull() || hidden % heads == 0,
        "hidden_size (" + hidden + ") must be a multiple of num_attention_heads (" + heads
            + ") when head_dim is absent");
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
        firstId(json, "bos_token_id"),
        json.has("eos_token_id") && !json.get("eos_token_id").isJsonNull()
            ? idList(json.get("eos_token_id"), "eos_token_id") : new int[0]);
  }

  /** bos_token_id: one id (or the first of a list), -1 when absent. */
  private static int firstId(JsonObject json, String key) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) return -1;
    int[] ids = idList(e, key);
    require(ids.length > 0, key + " is an empty list");
    return ids[0];
  }

  /** A token id given as an int or a list of ints (HF allows both for eos); errors name {@code key}. */
  public static int[] idList(JsonElement e, String key) {
    if (e.isJsonArray()) {
      JsonArray a = e.getAsJsonArray();
      int[] ids = new int[a.size()];
      for (int i = 0; i < ids.length; i++) ids[i] = tokenId(a.get(i), key + "[" + i + "]");
      return ids;
    }
    return new int[] {tokenId(e, key)};
  }

  private static int tokenId(JsonElement e, String key) {
    int id = JsonFields.intValue(e, key);
    require(id >= 0, key + " must be >= 0, got " + id);
    return id;
  }

  private static RopeScaling ropeScaling(JsonObject json) {
    if (!json.has("rope_scaling") || json.get("rope_scaling").isJsonNull()) {
      return null;
    }
    JsonObject s = JsonFields.object(json.get("rope_scaling"), "rope_scaling");
    String type = s.has("rope_type") ? string(s, "rope_type", null) : string(s, "type", "default");
    if ("default".equals(type)) {
      return null;
    }
    return new RopeScaling(type,
        number(s, "factor", null), number(s, "low_freq_factor", 1.0), number(s, "high_freq_factor", 4.0),
        integer(s, "original_max_position_embeddings", 8192));
  }

  private static void requireSize(String key, long value, long max) {
    require(value > 0 && value <= max, key + " must be in [1, " + max + "], got " + value);
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
    return e == null ? dflt : JsonFields.intValue(e, key);
  }

  private static double number(JsonObject json, String key, Double dflt) {
    JsonElement e = get(json, key, dflt);
    return e == null ? dflt : JsonFields.number(e, key);
  }

  private static boolean bool(JsonObject json, String key, boolean dflt) {
    JsonElement e = json.get(key);
    return e == null || e.isJsonNull() ? dflt : JsonFields.bool(e, key);
  }

  private static String string(JsonObject json, String key, String dflt) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) {
      require(dflt != null, "missing required key '" + key + "'");
      return dflt;
    }
    return JsonFields.string(e, key);
  }
}
