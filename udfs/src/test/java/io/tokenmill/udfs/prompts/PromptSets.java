package io.tokenmill.udfs.prompts;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The committed prompt sets under {@code data-samples/prompts/}: what each file should contain (from
 * its generator), and reading/writing JSON Lines. Regenerate with {@link #main} after changing a
 * generator; {@code PromptSetsTest} fails while a file is stale.
 */
public final class PromptSets {

  static final Map<String, Supplier<List<JsonObject>>> GENERATORS = new LinkedHashMap<>();

  static {
    GENERATORS.put("seating.jsonl", SeatingPuzzleGenerator::lines);
    GENERATORS.put("gsm.jsonl", GsmProblems::lines);
    GENERATORS.put("choice.jsonl", ChoiceQuestions::lines);
  }

  private PromptSets() {}

  /** Writes every set into {@code <repo>/data-samples/prompts/}. */
  public static void main(String[] args) throws IOException {
    Path dir = repoRoot().resolve("data-samples/prompts");
    Files.createDirectories(dir);
    for (Map.Entry<String, Supplier<List<JsonObject>>> set : GENERATORS.entrySet()) {
      Path file = dir.resolve(set.getKey());
      Files.writeString(file, render(set.getValue().get()), StandardCharsets.UTF_8);
      System.out.println("wrote " + file);
    }
  }

  static String render(List<JsonObject> lines) {
    StringBuilder out = new StringBuilder();
    for (JsonObject line : lines) out.append(PromptLine.GSON.toJson(line)).append('\n');
    return out.toString();
  }

  static Path file(String name) {
    return repoRoot().resolve("data-samples/prompts").resolve(name);
  }

  static List<JsonObject> read(String name) {
    try {
      List<JsonObject> lines = new ArrayList<>();
      for (String line : Files.readAllLines(file(name), StandardCharsets.UTF_8)) {
        if (!line.isBlank()) lines.add(JsonParser.parseString(line).getAsJsonObject());
      }
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The repository root: the nearest directory up from the working directory with a {@code udfs} module. */
  static Path repoRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("udfs/src")) && Files.isRegularFile(dir.resolve("pom.xml"))) return dir;
    }
    throw new IllegalStateException("not inside the Tokenmill repository: " + Path.of("").toAbsolutePath());
  }
}
