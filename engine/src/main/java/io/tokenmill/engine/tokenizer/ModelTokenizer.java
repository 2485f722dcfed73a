package io.tokenmill.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The tokenizer of one HF model directory: {@code tokenizer.json} through DJL's Rust-backed
 * {@link HuggingFaceTokenizer} plus {@code tokenizer_config.json} (chat template, BOS/EOS) read
 * with gson. Works the same for real checkpoints and for directories written by {@link
 * TokenizerWriter}. Used by the engine (prompt encoding, stop ids, detokenization) and by {@link
 * StreamDecoder}.
 *
 * <p>Never touches the network: the native library ships inside the DJL jar, the file is read
 * from disk, and DJL's call-home is switched off below. Encoding never adds BOS/EOS on its own
 * (chat templates already emit them, exactly as HF's apply_chat_template encodes with
 * add_special_tokens=False). Encode/decode are thread-safe (the Rust tokenizer is immutable).
 */
public final class ModelTokenizer implements AutoCloseable {

    static {
        // DJL phones home (EC2 metadata + S3) on tokenizer creation unless offline or opted out.
        // Opting out is harmless for everything else, so do it when nobody has decided.
        if (System.getProperty("ai.djl.offline") == null
                && System.getProperty("OPT_OUT_TRACKING") == null
                && System.getenv("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    private final Path dir;
    private final HuggingFaceTokenizer hf;
    private final TokenizerFiles.Vocab vocab;
    private final String bosToken;
    private final String eosToken;
    private final int bosId;
    private final int[] eosIds;
    private final int thinkStartId;
    private final int thinkEndId;
    private final ChatTemplate chatTemplate;
    private final String chatTemplateSource;

    private ModelTokenizer(
            Path dir, HuggingFaceTokenizer hf, TokenizerFiles.Vocab vocab, TokenizerFiles.Config cfg)
            throws IOException {
        this.dir = dir;
        this.hf = hf;
        this.vocab = vocab;
        this.bosToken = cfg.bosToken();
        this.eosToken = cfg.eosToken();
        this.bosId = bosToken == null ? -1 : requireId(bosToken, "bos_token");
        this.eosIds = eosToken == null ? new int[0] : new int[] {requireId(eosToken, "eos_token")};
        this.thinkStartId = tokenId(ChatFormat.THINK_START).orElse(-1);
        this.thinkEndId = tokenId(ChatFormat.THINK_END).orElse(-1);
        ChatTemplate template = null;
        if (cfg.chatTemplate() != null) {
            try {
                template = new ChatTemplate(cfg.chatTemplate(), bosToken, eosToken);
            } catch (ChatTemplateException e) {
                throw new IOException(
                        cfg.chatTemplateSource() + ": " + e.getMessage() + " (in " + dir + ")", e);
            }
        }
        this.chatTemplate = template;
        this.chatTemplateSource = cfg.chatTemplateSource();
    }

    /**
     * Loads {@code modelDir/tokenizer.json} and {@code modelDir/tokenizer_config.json} (the
     * latter optional, as for base models without one).
     *
     * @throws IOException naming the missing or malformed file
     */
    public static ModelTokenizer load(Path modelDir) throws IOException {
        Path tokenizerJson = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IOException("tokenizer.json missing in " + modelDir.toAbsolutePath());
        }
        TokenizerFiles.Vocab vocab = TokenizerFiles.readVocab(tokenizerJson);
        TokenizerFiles.Config cfg = TokenizerFiles.readConfig(modelDir);
        HuggingFaceTokenizer hf;
        try {
            hf =
                    HuggingFaceTokenizer.builder()
                            // The file, not the directory: DJL then reads nothing else.
                            .optTokenizerPath(tokenizerJson)
                            .optAddSpecialTokens(false)
                            .optTruncation(false)
                            .optPadding(false)
                            .build();
        } catch (RuntimeException e) {
            // The Rust library's own words (e.g. "unknown variant ... at line 1 column 45"), without Java's.
            throw new IOException(
                    "tokenizer.json: the tokenizers library cannot load it: "
                            + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
                            + " (in " + modelDir + ")");
        }
        try {
            return new ModelTokenizer(modelDir, hf, vocab, cfg);
        } catch (IOException | RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    /** The directory this tokenizer was loaded from. */
    public Path directory() {
        return dir;
    }

    /** Token ids of {@code text}; added-token strings inside it (e.g. "<|im_end|>") map to their ids. */
    public int[] encode(String text) {
        long[] ids = hf.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** Decodes keeping special tokens as text. Ids the tokenizer does not know decode to "". */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Decodes; with {@code skipSpecial} the special tokens (not the think tags) are dropped. */
    public String decode(int[] ids, boolean skipSpecial) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return hf.decode(l, skipSpecial);
    }

    /** The id of a token spelled as in tokenizer.json (added tokens and model vocab). */
    public OptionalInt tokenId(String token) {
        Integer id = vocab.ids().get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Every token in tokenizer.json (added tokens and model vocabulary) to its id. */
    public Map<String, Integer> vocabulary() {
        return vocab.ids();
    }

    /** BOS id from tokenizer_config's bos_token, or -1 if it has none. */
    public int bosId() {
        return bosId;
    }

    /**
     * Ids of tokenizer_config's eos_token (one, or none if absent). The engine unions these with
     * config.json / generation_config.json eos_token_id.
     */
    public int[] eosIds() {
        return eosIds.clone();
    }

    /** Id of {@code <think>}, or -1 if the tokenizer has no such single token. */
    public int thinkStartId() {
        return thinkStartId;
    }

    /** Id of {@code </think>}, or -1 if the tokenizer has no such single token. */
    public int thinkEndId() {
        return thinkEndId;
    }

    /** The chat template, if tokenizer_config.json (or chat_template.jinja) has one. */
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /**
     * Where the chat template came from, for error messages: "tokenizer_config.json chat_template",
     * "chat_template.jinja" or "chat_template.json chat_template".
     */
    public String chatTemplateSource() {
        return chatTemplateSource;
    }

    /** BOS token text, or null if none. */
    public String bosToken() {
        return bosToken;
    }

    /** EOS token text, or null if none. */
    public String eosToken() {
        return eosToken;
    }

    @Override
    public void close() {
        hf.close();
    }

    private int requireId(String token, String field) throws IOException {
        OptionalInt id = tokenId(token);
        if (id.isEmpty()) {
            throw new IOException(
                    "tokenizer_config.json: "
                            + field
                            + " '"
                            + token
                            + "' is not a token of tokenizer.json in "
                            + dir.toAbsolutePath());
        }
        return id.getAsInt();
    }
}
