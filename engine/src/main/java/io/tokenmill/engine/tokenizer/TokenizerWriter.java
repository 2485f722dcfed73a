package io.tokenmill.engine.tokenizer;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a byte-level BPE tokenizer in Hugging Face format ({@code tokenizer.json} plus {@code
 * tokenizer_config.json}) into a model directory. Called by the random-weight model writer and by
 * tiny-model training: those directories cannot ship a real tokenizer, so we write a minimal one
 * that {@link ModelTokenizer} loads through exactly the same path as a real checkpoint's.
 *
 * <p>Layout, fixed so tests and configs can rely on it:
 *
 * <ul>
 *   <li>ids 0..255: one token per byte, id = byte value, spelled with the GPT-2 byte-to-unicode
 *       symbol for that byte (what the ByteLevel pre-tokenizer/decoder expect);
 *   <li>ids 256, 257, ...: {@link ChatFormat#addedTokens()} in that order, i.e. the format's
 *       special tokens, then {@code <think>}, then {@code </think>};
 *   <li>ids from there up to vocabSize-1: unused. The model's embedding may be larger than the
 *       tokenizer (real Qwen pads its embedding the same way); decoding such an id yields "".
 * </ul>
 *
 * <p>Merges are deliberately empty: every byte is its own token, so any UTF-8 text round-trips
 * and the vocabulary needs no training data. A trained tokenizer can replace these files later
 * without touching any reader. There is no normalizer (Qwen's NFC would break byte-exact round
 * trips of non-NFC text).
 */
public final class TokenizerWriter {

    /** Byte tokens occupy ids 0..255. */
    public static final int BYTE_TOKENS = 256;

    /** model_max_length written when the caller does not choose one. */
    public static final int DEFAULT_MODEL_MAX_LENGTH = 32768;

    private static final Gson GSON =
            new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().serializeNulls().create();

    private TokenizerWriter() {}

    /** {@link #write(Path, int, ChatFormat, int)} with {@link #DEFAULT_MODEL_MAX_LENGTH}. */
    public static SpecialTokenIds write(Path dir, int vocabSize, ChatFormat format)
            throws IOException {
        return write(dir, vocabSize, format, DEFAULT_MODEL_MAX_LENGTH);
    }

    /**
     * Writes {@code dir/tokenizer.json} and {@code dir/tokenizer_config.json} (creating {@code
     * dir} if needed) and returns the ids assigned to the format's added tokens.
     *
     * @param vocabSize the model's vocabulary (embedding) size; must hold 256 byte tokens plus the
     *     added tokens
     * @throws IllegalArgumentException if vocabSize is too small
     */
    public static SpecialTokenIds write(
            Path dir, int vocabSize, ChatFormat format, int modelMaxLength) throws IOException {
        List<String> added = format.addedTokens();
        int needed = BYTE_TOKENS + added.size();
        if (vocabSize < needed) {
            throw new IllegalArgumentException(
                    "vocabSize "
                            + vocabSize
                            + " is too small for chat format "
                            + format
                            + ": it needs at least "
                            + needed
                            + " ("
                            + BYTE_TOKENS
                            + " byte tokens + "
                            + added.size()
                            + " added tokens "
                            + added
                            + ")");
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (int i = 0; i < added.size(); i++) {
            ids.put(added.get(i), BYTE_TOKENS + i);
        }
        Files.createDirectories(dir);
        Files.writeString(
                dir.resolve("tokenizer.json"),
                GSON.toJson(tokenizerJson(format, ids)),
                StandardCharsets.UTF_8);
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                GSON.toJson(tokenizerConfigJson(format, ids, modelMaxLength)),
                StandardCharsets.UTF_8);

        int[] eos = format.eosTokens().stream().mapToInt(ids::get).toArray();
        return new SpecialTokenIds(
                format.bosToken().map(ids::get).orElse(-1),
                eos,
                ids.get(format.padToken()),
                ids,
                ids.get(ChatFormat.THINK_START),
                ids.get(ChatFormat.THINK_END));
    }

    private static JsonObject tokenizerJson(ChatFormat format, Map<String, Integer> ids) {
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        JsonArray addedTokens = new JsonArray();
        // HF re-derives added-token ids on load as "model vocab size + position", so they must be
        // listed contiguously in id order starting right after the 256 byte tokens.
        ids.forEach((content, id) -> addedTokens.add(addedToken(content, id, isSpecial(content))));
        root.add("added_tokens", addedTokens);
        root.add("normalizer", JsonNull.INSTANCE);
        root.add("pre_tokenizer", byteLevel(true));
        root.add("post_processor", postProcessor(format, ids));
        root.add("decoder", byteLevel(true));

        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.add("continuing_subword_prefix", JsonNull.INSTANCE);
        model.add("end_of_word_suffix", JsonNull.INSTANCE);
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.addProperty("ignore_merges", false);
        JsonObject vocab = new JsonObject();
        char[] symbols = byteToUnicode();
        for (int b = 0; b < BYTE_TOKENS; b++) {
            vocab.addProperty(String.valueOf(symbols[b]), b);
        }
        model.add("vocab", vocab);
        model.add("merges", new JsonArray());
        root.add("model", model);
        return root;
    }

    /**
     * Formats with a BOS token get the same post-processor as real Llama 3 / R1 tokenizers
     * (ByteLevel, then a template that prepends BOS), so a caller that encodes with
     * add_special_tokens=true sees real-model behaviour. {@link ModelTokenizer} never adds them.
     */
    private static JsonObject postProcessor(ChatFormat format, Map<String, Integer> ids) {
        JsonObject byteLevel = byteLevel(false);
        if (format.bosToken().isEmpty()) {
            return byteLevel;
        }
        String bos = format.bosToken().get();
        JsonObject template = new JsonObject();
        template.addProperty("type", "TemplateProcessing");
        JsonArray single = new JsonArray();
        single.add(templatePiece("SpecialToken", bos, 0));
        single.add(templatePiece("Sequence", "A", 0));
        JsonArray pair = new JsonArray();
        pair.add(templatePiece("SpecialToken", bos, 0));
        pair.add(templatePiece("Sequence", "A", 0));
        pair.add(templatePiece("SpecialToken", bos, 1));
        pair.add(templatePiece("Sequence", "B", 1));
        template.add("single", single);
        template.add("pair", pair);
        JsonObject bosEntry = new JsonObject();
        bosEntry.addProperty("id", bos);
        JsonArray bosIds = new JsonArray();
        bosIds.add(ids.get(bos));
        bosEntry.add("ids", bosIds);
        JsonArray bosTokens = new JsonArray();
        bosTokens.add(bos);
        bosEntry.add("tokens", bosTokens);
        JsonObject specials = new JsonObject();
        specials.add(bos, bosEntry);
        template.add("special_tokens", specials);

        JsonObject sequence = new JsonObject();
        sequence.addProperty("type", "Sequence");
        JsonArray processors = new JsonArray();
        processors.add(byteLevel);
        processors.add(template);
        sequence.add("processors", processors);
        return sequence;
    }

    private static JsonObject templatePiece(String kind, String id, int typeId) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", typeId);
        JsonObject piece = new JsonObject();
        piece.add(kind, inner);
        return piece;
    }

    private static JsonObject tokenizerConfigJson(
            ChatFormat format, Map<String, Integer> ids, int modelMaxLength) {
        JsonObject cfg = new JsonObject();
        if (format.bosToken().isPresent()) {
            // The chat templates emit bos_token themselves; add_bos_token tells plain-text
            // encoders (HF add_special_tokens=true) to prepend it, as the real configs do.
            cfg.addProperty("add_bos_token", true);
            cfg.addProperty("add_eos_token", false);
        }
        JsonObject decoder = new JsonObject();
        ids.forEach(
                (content, id) -> {
                    JsonObject t = addedToken(content, -1, isSpecial(content));
                    t.remove("id");
                    decoder.add(String.valueOf(id), t);
                });
        cfg.add("added_tokens_decoder", decoder);
        cfg.addProperty("bos_token", format.bosToken().orElse(null));
        cfg.addProperty("chat_template", format.chatTemplate());
        cfg.addProperty("clean_up_tokenization_spaces", false);
        cfg.addProperty("eos_token", format.eosToken());
        cfg.addProperty("model_max_length", modelMaxLength);
        cfg.addProperty("pad_token", format.padToken());
        cfg.addProperty("split_special_tokens", false);
        cfg.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
        cfg.add("unk_token", JsonNull.INSTANCE);
        return cfg;
    }

    /**
     * The think tags are added tokens (one id each) but not "special": that is how Qwen3 and
     * R1-Distill ship them, and it keeps them in text decoded with skip_special_tokens, which
     * reasoning parsers rely on.
     */
    private static boolean isSpecial(String content) {
        return !content.equals(ChatFormat.THINK_START) && !content.equals(ChatFormat.THINK_END);
    }

    private static JsonObject addedToken(String content, int id, boolean special) {
        JsonObject t = new JsonObject();
        t.addProperty("id", id);
        t.addProperty("content", content);
        t.addProperty("single_word", false);
        t.addProperty("lstrip", false);
        t.addProperty("rstrip", false);
        t.addProperty("normalized", false);
        t.addProperty("special", special);
        return t;
    }

    private static JsonObject byteLevel(boolean trimOffsets) {
        JsonObject o = new JsonObject();
        o.addProperty("type", "ByteLevel");
        // add_prefix_space=false everywhere: a prefix space would change the text on round trip.
        o.addProperty("add_prefix_space", false);
        o.addProperty("trim_offsets", trimOffsets);
        o.addProperty("use_regex", true);
        return o;
    }

    /**
     * GPT-2's byte-to-unicode table: printable Latin-1 bytes map to themselves, the other 68
     * bytes to U+0100.. in byte order, so every byte has a visible, non-whitespace symbol.
     */
    static char[] byteToUnicode() {
        char[] table = new char[BYTE_TOKENS];
        int next = 0;
        for (int b = 0; b < BYTE_TOKENS; b++) {
            boolean printable =
                    (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char) b : (char) (BYTE_TOKENS + next++);
        }
        return table;
    }
}
