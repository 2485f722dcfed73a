package io.tokenmill.engine.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the JSON parts of a model directory's tokenizer that DJL does not expose: the token→id
 * map of tokenizer.json (DJL has no token_to_id) and the fields of tokenizer_config.json that
 * matter for chat (chat_template, bos_token, eos_token). Used only by {@link ModelTokenizer}.
 * Accepts the shapes real checkpoints use: tokens as strings or {@code {"content": ...}} objects,
 * chat_template as a string or a list of {@code {name, template}}, or a separate
 * chat_template.jinja / chat_template.json (newer transformers).
 */
final class TokenizerFiles {

    private static final Logger LOG = LoggerFactory.getLogger(TokenizerFiles.class);

    private TokenizerFiles() {}

    /** tokenizer.json's tokens: model vocabulary overlaid with added tokens (HF's precedence). */
    record Vocab(Map<String, Integer> ids) {}

    /**
     * @param bosToken null if absent
     * @param eosToken null if absent
     * @param chatTemplate null if the model has none
     * @param chatTemplateSource the file the template came from, for error messages
     */
    record Config(String bosToken, String eosToken, String chatTemplate, String chatTemplateSource) {}

    static Vocab readVocab(Path tokenizerJson) throws IOException {
        JsonObject root = parseObject(tokenizerJson);
        Map<String, Integer> ids = new HashMap<>();
        JsonElement model = root.get("model");
        JsonElement vocab = model != null && model.isJsonObject() ? model.getAsJsonObject().get("vocab") : null;
        if (vocab != null && vocab.isJsonObject()) {
            // BPE, WordPiece, WordLevel: {"token": id}
            for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                ids.put(e.getKey(), e.getValue().getAsInt());
            }
        } else if (vocab != null && vocab.isJsonArray()) {
            // Unigram: [[token, score], ...], id = position
            JsonArray arr = vocab.getAsJsonArray();
            for (int i = 0; i < arr.size(); i++) {
                ids.put(arr.get(i).getAsJsonArray().get(0).getAsString(), i);
            }
        }
        JsonElement added = root.get("added_tokens");
        if (added != null && added.isJsonArray()) {
            for (JsonElement t : added.getAsJsonArray()) {
                JsonObject o = t.getAsJsonObject();
                ids.put(o.get("content").getAsString(), o.get("id").getAsInt());
            }
        }
        return new Vocab(Collections.unmodifiableMap(ids));
    }

    static Config readConfig(Path modelDir) throws IOException {
        Path file = modelDir.resolve("tokenizer_config.json");
        String bos = null;
        String eos = null;
        String template = null;
        String source = "tokenizer_config.json";
        if (Files.isRegularFile(file)) {
            JsonObject cfg = parseObject(file);
            bos = tokenText(cfg, "bos_token");
            eos = tokenText(cfg, "eos_token");
            template = chatTemplate(cfg.get("chat_template"), modelDir);
        }
        if (template == null) {
            // transformers >= 4.43 may save the template beside the config instead of inside it.
            Path jinja = modelDir.resolve("chat_template.jinja");
            Path json = modelDir.resolve("chat_template.json");
            if (Files.isRegularFile(jinja)) {
                template = Files.readString(jinja, StandardCharsets.UTF_8);
                source = "chat_template.jinja";
            } else if (Files.isRegularFile(json)) {
                template = chatTemplate(parseObject(json).get("chat_template"), modelDir);
                source = "chat_template.json";
            }
        }
        return new Config(bos, eos, template, source);
    }

    /** bos_token / eos_token: a string, an AddedToken object {"content": ...}, or null. */
    private static String tokenText(JsonObject cfg, String field) throws IOException {
        JsonElement e = cfg.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
            return e.getAsJsonObject().get("content").getAsString();
        }
        throw new IOException(
                "tokenizer_config.json: " + field + " is not a string or {content: ...}: " + e);
    }

    /** A string, or a list of {name, template} from which "default" is taken. */
    private static String chatTemplate(JsonElement e, Path modelDir) throws IOException {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        if (e.isJsonArray()) {
            StringBuilder names = new StringBuilder();
            for (JsonElement item : e.getAsJsonArray()) {
                if (!item.isJsonObject()) {
                    throw new IOException(
                            "tokenizer_config.json: chat_template list entries must be {name, template}");
                }
                JsonObject o = item.getAsJsonObject();
                String name = o.has("name") ? o.get("name").getAsString() : "";
                if (name.equals("default") && o.has("template")) {
                    return o.get("template").getAsString();
                }
                names.append(names.length() == 0 ? "" : ", ").append(name);
            }
            // HF would also refuse to pick one; loading still works, just without a template.
            LOG.warn(
                    "tokenizer_config.json in {}: chat_template list has no 'default' entry (have: {});"
                            + " no chat template",
                    modelDir,
                    names);
            return null;
        }
        throw new IOException("tokenizer_config.json: chat_template is not a string or list");
    }

    private static JsonObject parseObject(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new IOException(file.getFileName() + " is not a JSON object: " + file);
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException(file.getFileName() + " is not valid JSON: " + file + ": " + e.getMessage(), e);
        }
    }
}
