package io.tokenmill.engine.model;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The sampling defaults a model ships in {@code generation_config.json} (all optional). Job settings
 * override them; they override Tokenmill's own defaults.
 */
public record GenerationDefaults(
    boolean doSample, Double temperature, Double topP, Integer topK, Double repetitionPenalty,
    Integer maxNewTokens, int[] eosTokenIds) {

  public static final GenerationDefaults NONE = new GenerationDefaults(false, null, null, null, null, null, new int[0]);

  public GenerationDefaults {
    eosTokenIds = eosTokenIds.clone();
  }

  @Override
  public int[] eosTokenIds() {
    return eosTokenIds.clone();
  }

  /** Reads the file if present; a missing file means no defaults, a malformed one is an error naming the key. */
  public static GenerationDefaults read(Path file) {
    if (!Files.isRegularFile(file)) return NONE;
    JsonObject j = JsonFields.readObject(file);
    try {
      return new GenerationDefaults(
          j.has("do_sample") && !j.get("do_sample").isJsonNull() && JsonFields.bool(j.get("do_sample"), "do_sample"),
          present(j, "temperature") ? JsonFields.number(j.get("temperature"), "temperature") : null,
          present(j, "top_p") ? JsonFields.number(j.get("top_p"), "top_p") : null,
          present(j, "top_k") ? JsonFields.intValue(j.get("top_k"), "top_k") : null,
          present(j, "repetition_penalty") ? JsonFields.number(j.get("repetition_penalty"), "repetition_penalty") : null,
          present(j, "max_new_tokens") ? JsonFields.intValue(j.get("max_new_tokens"), "max_new_tokens") : null,
          present(j, "eos_token_id") ? ModelConfig.idList(j.get("eos_token_id"), "eos_token_id") : new int[0]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  private static boolean present(JsonObject j, String key) {
    return j.has(key) && !j.get(key).isJsonNull();
  }
}
