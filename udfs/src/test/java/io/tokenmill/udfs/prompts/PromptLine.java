package io.tokenmill.udfs.prompts;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

/**
 * One line of a prompt-set file: {@code id}, {@code task}, {@code prompt}, {@code reference} (always a
 * string, so every set reads with the same column types), then set-specific metadata.
 */
final class PromptLine {

  static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private PromptLine() {}

  static JsonObject of(String id, String task, String prompt, String reference) {
    JsonObject line = new JsonObject();
    line.addProperty("id", id);
    line.addProperty("task", task);
    line.addProperty("prompt", prompt);
    line.addProperty("reference", reference);
    return line;
  }

  static String id(String task, int index) {
    return String.format("%s-%03d", task, index + 1);
  }
}
