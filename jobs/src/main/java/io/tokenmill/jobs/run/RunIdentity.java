package io.tokenmill.jobs.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.jobs.config.ConfigKey;
import io.tokenmill.jobs.config.ConfigKeys;
import io.tokenmill.jobs.config.JobConfig;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The settings that determine what an output row contains, recorded in {@code OUTPUT/run_identity.json} by the
 * run that writes the first rows, so that {@code output.mode: resume} cannot mix two settings in one dataset.
 *
 * <p>Identity (a change refuses resume): every {@code generation.*} key, {@code eval.extractor},
 * {@code eval.verifier}, {@code model.name} (the {@code model} column), {@code model.reasoning_format},
 * {@code engine.max_seq_len} (which prompts fit, how long a row may grow), {@code output.prompt_text}, the
 * input column names {@code input.*_column}, and the model files ({@link ModelFingerprint}: config, tokenizer,
 * chat template, weights), one key per file ({@code model.file.NAME}).
 *
 * <p>Not identity (may differ between runs into one output): where things are ({@code input.path},
 * {@code input.format}, {@code input.table}, {@code model.path}, {@code output.*}), how much is read
 * ({@code input.limit}: resume with more prompts), and how it runs ({@code engine.*} but max_seq_len,
 * {@code job.*}, {@code spark.*}): batch size, KV memory, waves, partitions and the master change speed, not
 * rows. {@code engine.device} is not identity either: a resumed run on another device type writes that
 * device's numerics, and the {@code device} column says which rows those are.
 */
public record RunIdentity(SortedMap<String, String> settings) {

  public static final String FILE = "run_identity.json";
  public static final int FORMAT = 1;

  /** Config keys (besides every generation.* key) whose values determine row content. */
  static final List<String> CONFIG_KEYS = List.of("eval.extractor", "eval.verifier", "model.reasoning_format",
      "engine.max_seq_len", "output.prompt_text", "input.id_column", "input.prompt_column", "input.messages_column",
      "input.system_column", "input.reference_column");
  static final String MODEL_FILE_PREFIX = "model.file.";

  public RunIdentity {
    settings = new TreeMap<>(settings);
  }

  /** The identity of run {@code s}: its content-determining settings and its model's fingerprint. */
  public static RunIdentity of(JobSettings s) throws IOException {
    SortedMap<String, String> m = new TreeMap<>();
    JobConfig c = s.config();
    for (ConfigKey k : ConfigKeys.ALL) {
      if (k.name().startsWith("generation.") || CONFIG_KEYS.contains(k.name())) m.put(k.name(), canonical(c.raw(k.name())));
    }
    m.put("model.name", s.context().modelName());
    ModelFingerprint.of(Path.of(s.modelPath())).forEach((file, hash) -> m.put(MODEL_FILE_PREFIX + file, hash));
    return new RunIdentity(m);
  }

  /**
   * One line per setting that differs, {@code key: old → new}, sorted by key. A key the recorded identity lacks
   * (a setting added by a later Tokenmill version) counts as unchanged while the new value is its default; keys
   * only the recorded identity has (removed settings) are ignored, except model files, which must all match.
   */
  public List<String> differencesFrom(RunIdentity recorded) {
    List<String> out = new ArrayList<>();
    Set<String> keys = new java.util.TreeSet<>(settings.keySet());
    for (String k : recorded.settings.keySet()) if (k.startsWith(MODEL_FILE_PREFIX)) keys.add(k);
    for (String k : keys) {
      String now = settings.get(k);
      boolean had = recorded.settings.containsKey(k);
      String was = recorded.settings.get(k);
      if (!had && !k.startsWith(MODEL_FILE_PREFIX)) {
        ConfigKey def = ConfigKeys.BY_NAME.get(k);
        if (def != null && Objects.equals(now, canonical(def.defaultValue()))) continue;
      }
      if (had && Objects.equals(was, now)) continue;
      out.add(k + ": " + (had ? was : "(absent)") + " → " + (now == null ? "(absent)" : now));
    }
    return out;
  }

  /**
   * Compares this run's identity with the one {@code output} recorded, before anything is generated:
   *
   * <ul>
   *   <li>no rows committed yet: (re)writes the file with this identity;
   *   <li>rows and a recorded identity that differs: refuses (exit status 2) listing every differing key;
   *   <li>rows but no file (an output written before run identity existed): adopts it with a warning line, since
   *       what wrote those rows is unknown, and records this run's identity for the next resume.
   * </ul>
   */
  public void check(OutputFiles output, boolean hasCommittedRows, String runId, java.util.function.Consumer<String> warn)
      throws IOException {
    String text = output.read(FILE);
    if (hasCommittedRows && text != null) {
      List<String> diff = differencesFrom(parse(text, output.root()));
      if (!diff.isEmpty()) {
        throw new OutputRefusedException("output.path " + output.root() + " holds rows written with other settings "
            + "that determine row content (" + FILE + "); resuming would mix them in one dataset:\n  "
            + String.join("\n  ", diff) + "\nUse a new output.path, or output.mode: overwrite to replace those rows");
      }
      return;
    }
    if (hasCommittedRows) {
      warn.accept("output " + output.root() + " has rows but no " + FILE + " (written before run identity existed): "
          + "resuming it as if its rows were written with this run's settings, which are recorded now");
    }
    output.write(FILE, toJson(runId, hasCommittedRows));
  }

  /** How a runner shows {@link #check}'s warning: one line on stderr, even without the progress line. */
  public static void warn(String message) {
    System.err.println("[tokenmill] warning: " + message);
  }

  String toJson(String runId, boolean adopted) {
    JsonObject o = new JsonObject();
    o.addProperty("format", FORMAT);
    o.addProperty("recorded_by_run", runId);
    o.addProperty("recorded", Instant.now().toString());
    if (adopted) o.addProperty("adopted_existing_rows", true);
    JsonObject s = new JsonObject();
    settings.forEach(s::addProperty);
    o.add("settings", s);
    return GSON.toJson(o) + "\n";
  }

  static RunIdentity parse(String text, String root) {
    try {
      JsonObject o = JsonParser.parseString(text).getAsJsonObject();
      SortedMap<String, String> m = new TreeMap<>();
      for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("settings").entrySet()) {
        m.put(e.getKey(), e.getValue().isJsonNull() ? null : e.getValue().getAsString());
      }
      return new RunIdentity(m);
    } catch (RuntimeException e) {
      throw new OutputRefusedException(root + "/" + FILE + " is not a run identity Tokenmill can read (" + e.getMessage()
          + "); delete it to resume as if the rows were written with this run's settings");
    }
  }

  /** A config value as one comparable string: numbers by value (0.60 = 0.6, 1.0 = 1), lists as JSON. */
  static String canonical(Object v) {
    if (v == null) return "null";
    if (v instanceof Number || v instanceof String) {
      String t = v.toString().trim();
      if (t.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
        BigDecimal d = new BigDecimal(t).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
      }
      return t;
    }
    if (v instanceof Collection<?> list) return new Gson().toJson(list);
    return v.toString();
  }

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
}
