package io.tokenmill.engine.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import io.tokenmill.engine.model.JsonFields;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
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
        try {
            return new Vocab(Collections.unmodifiableMap(vocab(root)));
        } catch (IllegalArgumentException e) {
            throw new IOException("tokenizer.json: " + e.getMessage());
        }
    }

    private static Map<String, Integer> vocab(JsonObject root) {
        Map<String, Integer> ids = new HashMap<>();
        JsonElement model = root.get("model");
        JsonElement vocab = model != null && model.isJsonObject() ? model.getAsJsonObject().get("vocab") : null;
        if (vocab != null && vocab.isJsonObject()) {
            // BPE, WordPiece, WordLevel: {"token": id}
            for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                ids.put(e.getKey(), tokenId(e.getValue(), "model.vocab['" + e.getKey() + "']"));
            }
        } else if (vocab != null && vocab.isJsonArray()) {
            // Unigram: [[token, score], ...], id = position
            JsonArray arr = vocab.getAsJsonArray();
            for (int i = 0; i < arr.size(); i++) {
                String where = "model.vocab[" + i + "]";
                JsonArray pair = JsonFields.array(arr.get(i), where);
                if (pair.isEmpty()) {
                    throw new IllegalArgumentException(where + " must be [token, score], got []");
                }
                ids.put(JsonFields.string(pair.get(0), where + "[0]"), i);
            }
        }
        JsonElement added = root.get("added_tokens");
        if (added != null && !added.isJsonNull()) {
            JsonArray list = JsonFields.array(added, "added_tokens");
            for (int i = 0; i < list.size(); i++) {
                String where = "added_tokens[" + i + "]";
                JsonObject o = JsonFields.object(list.get(i), where);
                ids.put(JsonFields.string(o.get("content"), where + ".content"), tokenId(o.get("id"), where + ".id"));
            }
        }
        return ids;
    }

    private static int tokenId(JsonElement e, String key) {
        int id = JsonFields.intValue(e, key);
        if (id < 0) {
            throw new IllegalArgumentException(key + " must be >= 0, got " + id);
        }
        return id;
    }

    static Config readConfig(Path modelDir) throws IOException {
        Path file = modelDir.resolve("tokenizer_config.json");
        String bos = null;
        String eos = null;
        String template = null;
        String source = "tokenizer_config.json chat_template";
        if (Files.isRegularFile(file)) {
            JsonObject cfg = parseObject(file);
            bos = tokenText(cfg, "bos_token");
            eos = tokenText(cfg, "eos_token");
            template = chatTemplate(cfg.get("chat_template"), "tokenizer_config.json", modelDir);
        }
        if (template == null) {
            // transformers >= 4.43 may save the template beside the config instead of inside it.
            Path jinja = modelDir.resolve("chat_template.jinja");
            Path json = modelDir.resolve("chat_template.json");
            if (Files.isRegularFile(jinja)) {
                if (Files.size(jinja) > ChatTemplate.MAX_SOURCE_CHARS) {
                    throw new IOException("chat_template.jinja: " + Files.size(jinja) + " bytes is larger than a"
                            + " chat template may be (" + ChatTemplate.MAX_SOURCE_CHARS + ")");
                }
                template = Files.readString(jinja, StandardCharsets.UTF_8);
                source = "chat_template.jinja";
            } else if (Files.isRegularFile(json)) {
                template = chatTemplate(parseObject(json).get("chat_template"), "chat_template.json", modelDir);
                source = "chat_template.json chat_template";
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
        JsonElement content = e.isJsonObject() ? e.getAsJsonObject().get("content") : null;
        if (content != null && content.isJsonPrimitive() && content.getAsJsonPrimitive().isString()) {
            return content.getAsString();
        }
        throw new IOException(
                "tokenizer_config.json: " + field + " is not a string or {content: string}: "
                        + JsonFields.shown(e));
    }

    /** A string, or a list of {name, template} from which "default" is taken. */
    private static String chatTemplate(JsonElement e, String file, Path modelDir) throws IOException {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        if (e.isJsonArray()) {
            StringBuilder names = new StringBuilder();
            for (JsonElement item : e.getAsJsonArray()) {
                JsonElement name = item.isJsonObject() ? item.getAsJsonObject().get("name") : null;
                JsonElement template = item.isJsonObject() ? item.getAsJsonObject().get("template") : null;
                if (!isString(name) || !isString(template)) {
                    throw new IOException(file + ": chat_template list entries must be {name: string,"
                            + " template: string}, got " + JsonFields.shown(item));
                }
                if (name.getAsString().equals("default")) {
                    return template.getAsString();
                }
                names.append(names.length() == 0 ? "" : ", ").append(name.getAsString());
            }
            // HF would also refuse to pick one; loading still works, just without a template.
            LOG.warn(
                    "{} in {}: chat_template list has no 'default' entry (have: {});"
                            + " no chat template",
                    file,
                    modelDir,
                    names);
            return null;
        }
        throw new IOException(file + ": chat_template is not a string or list");
    }

    private static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    /** The file as a JSON object; any problem becomes one IOException line naming the file. */
    private static JsonObject parseObject(Path file) throws IOException {
        try {
            return JsonFields.readObject(file);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage() + " (in " + file.getParent() + ")");
        }
    }
}
