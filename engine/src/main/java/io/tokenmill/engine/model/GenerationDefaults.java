package io.tokenmill.engine.model;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
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

  /** Reads the file if present; a missing file means no defaults, a malformed one is an error. */
  public static GenerationDefaults read(Path file) {
    if (!Files.isRegularFile(file)) return NONE;
    try (Reader r = Files.newBufferedReader(file)) {
      JsonObject j = JsonParser.parseReader(r).getAsJsonObject();
      return new GenerationDefaults(
          j.has("do_sample") && j.get("do_sample").getAsBoolean(),
          j.has("temperature") ? j.get("temperature").getAsDouble() : null,
          j.has("top_p") ? j.get("top_p").getAsDouble() : null,
          j.has("top_k") ? j.get("top_k").getAsInt() : null,
          j.has("repetition_penalty") ? j.get("repetition_penalty").getAsDouble() : null,
          j.has("max_new_tokens") ? j.get("max_new_tokens").getAsInt() : null,
          j.has("eos_token_id") && !j.get("eos_token_id").isJsonNull()
              ? ModelConfig.idList(j.get("eos_token_id")) : new int[0]);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(file + ": cannot parse: " + e.getMessage(), e);
    }
  }
}
