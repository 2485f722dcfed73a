package io.tokenmill.engine.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The chat conventions of the model families Tokenmill writes random-weight directories for:
 * which special tokens exist, which one starts a sequence (BOS), which ones stop generation (EOS),
 * which one pads, and the Jinja chat template that turns a conversation into a prompt.
 *
 * <p>Used by {@link TokenizerWriter} (to write tokenizer.json / tokenizer_config.json for a
 * synthetic model directory) and by the CLI / model writer to pick a format from a name or from a
 * config.json {@code model_type}. Loading a tokenizer never consults this enum: {@link
 * ModelTokenizer} reads everything back from the files, exactly as for a real HF checkpoint.
 *
 * <p>The templates live in {@code templates/*.jinja} next to this class. They follow the real
 * models' templates in structure (same variables, same whitespace behaviour, same
 * {@code namespace()} bookkeeping) but drop tool calling, which Tokenmill does not use.
 */
public enum ChatFormat {
    /** Qwen2 / Qwen2.5-Instruct ChatML; default system prompt "You are a helpful assistant.". */
    CHATML(
            "chatml",
            List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"),
            null,
            List.of("<|im_end|>", "<|endoftext|>"),
            "<|endoftext|>",
            "chatml.jinja"),
    /** Qwen3: ChatML plus thinking; {@code enable_thinking=false} pre-fills an empty think block. */
    QWEN3(
            "qwen3",
            List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"),
            null,
            List.of("<|im_end|>", "<|endoftext|>"),
            "<|endoftext|>",
            "qwen3.jinja"),
    /**
     * DeepSeek-R1-Distill (Qwen or Llama base): the generation prompt ends with
     * {@code <｜Assistant｜><think>\n}, so generated text starts inside the think block.
     */
    DEEPSEEK_R1(
            "deepseek-r1",
            List.of("<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<｜begin▁of▁sentence｜>"),
            "<｜begin▁of▁sentence｜>",
            List.of("<｜end▁of▁sentence｜>"),
            // The real R1-Distill tokenizer_config pads with the EOS token; we keep that.
            "<｜end▁of▁sentence｜>",
            "deepseek_r1.jinja"),
    /** Llama 3.x instruct: header blocks, {@code <|eot_id|>} ends a turn. */
    LLAMA3(
            "llama3",
            // Relative order of the real Llama 3 ids (128000...), minus the reserved tokens.
            List.of(
                    "<|begin_of_text|>",
                    "<|end_of_text|>",
                    "<|finetune_right_pad_id|>",
                    "<|start_header_id|>",
                    "<|end_header_id|>",
                    "<|eom_id|>",
                    "<|eot_id|>",
                    "<|python_tag|>"),
            "<|begin_of_text|>",
            // eot ends a chat turn (and is tokenizer_config's eos_token); generation_config of the
            // real instruct models also stops on end_of_text and eom.
            List.of("<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"),
            "<|finetune_right_pad_id|>",
            "llama3.jinja");

    /** Opens a reasoning block. Every format gets it as one added token. */
    public static final String THINK_START = "<think>";

    /** Closes a reasoning block. Every format gets it as one added token. */
    public static final String THINK_END = "</think>";

    private final String canonicalName;
    private final List<String> specialTokens;
    private final String bosToken;
    private final List<String> eosTokens;
    private final String padToken;
    private final String templateResource;
    private volatile String template;

    ChatFormat(
            String canonicalName,
            List<String> specialTokens,
            String bosToken,
            List<String> eosTokens,
            String padToken,
            String templateResource) {
        this.canonicalName = canonicalName;
        this.specialTokens = specialTokens;
        this.bosToken = bosToken;
        this.eosTokens = eosTokens;
        this.padToken = padToken;
        this.templateResource = templateResource;
    }

    /** The name {@link #fromName} accepts for this format, e.g. {@code "deepseek-r1"}. */
    public String canonicalName() {
        return canonicalName;
    }

    /** The format's own special tokens (names), in the order their ids are assigned. */
    public List<String> specialTokens() {
        return specialTokens;
    }

    /**
     * Every added token in id order: {@link #specialTokens()} then {@link #THINK_START} and
     * {@link #THINK_END}. {@link TokenizerWriter} gives them ids 256, 257, ... in this order.
     */
    public List<String> addedTokens() {
        List<String> all = new ArrayList<>(specialTokens);
        all.add(THINK_START);
        all.add(THINK_END);
        return List.copyOf(all);
    }

    /** The BOS token, or empty when the family has none (Qwen). */
    public Optional<String> bosToken() {
        return Optional.ofNullable(bosToken);
    }

    /** Tokens that end generation; the first is tokenizer_config's {@code eos_token}. */
    public List<String> eosTokens() {
        return eosTokens;
    }

    /** tokenizer_config's {@code eos_token}: the token that ends an assistant turn. */
    public String eosToken() {
        return eosTokens.get(0);
    }

    /** The padding token (always one of {@link #specialTokens()}). */
    public String padToken() {
        return padToken;
    }

    /** The Jinja chat template text (HF {@code chat_template}). */
    public String chatTemplate() {
        String t = template;
        if (t == null) {
            t = loadTemplate(templateResource);
            template = t;
        }
        return t;
    }

    /**
     * Parses a user-facing name: {@code chatml}, {@code qwen3}, {@code deepseek-r1} (alias
     * {@code r1}) or {@code llama3}; case-insensitive, '_' accepted for '-'.
     *
     * @throws IllegalArgumentException naming the valid names
     */
    public static ChatFormat fromName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            if (n.equals("r1")) {
                return DEEPSEEK_R1;
            }
            for (ChatFormat f : values()) {
                if (f.canonicalName.equals(n)) {
                    return f;
                }
            }
        }
        throw new IllegalArgumentException(
                "Unknown chat format '" + name + "'; valid names: " + validNames());
    }

    /**
     * The usual format for an HF config.json {@code model_type}: qwen2 → CHATML, qwen3 → QWEN3,
     * llama → LLAMA3. DeepSeek-R1-Distill models report their base's model_type (qwen2 or llama),
     * so R1 can only be chosen explicitly.
     *
     * @throws IllegalArgumentException for any other model type
     */
    public static ChatFormat defaultFor(String modelType) {
        String t = modelType == null ? "" : modelType.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "qwen2":
                return CHATML;
            case "qwen3":
                return QWEN3;
            case "llama":
                return LLAMA3;
            default:
                throw new IllegalArgumentException(
                        "No default chat format for model_type '"
                                + modelType
                                + "' (known: qwen2, qwen3, llama); choose one of "
                                + validNames());
        }
    }

    private static String validNames() {
        return Arrays.stream(values())
                .map(f -> f == DEEPSEEK_R1 ? f.canonicalName + " (alias r1)" : f.canonicalName)
                .collect(Collectors.joining(", "));
    }

    private static String loadTemplate(String resource) {
        try (InputStream in = ChatFormat.class.getResourceAsStream("templates/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("chat template resource missing: " + resource);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // The file's final newline is an editor artefact, not template output.
            return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read chat template " + resource, e);
        }
    }
}
