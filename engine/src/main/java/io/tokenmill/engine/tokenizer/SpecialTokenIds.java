package io.tokenmill.engine.tokenizer;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ids {@link TokenizerWriter} assigned to a format's added tokens. The model-directory writer
 * uses them for config.json / generation_config.json ({@code bos_token_id}, {@code
 * eos_token_id}, {@code pad_token_id}) so that those files agree with tokenizer.json.
 *
 * @param bos the BOS id, or -1 when the format has no BOS token
 * @param eos every id that ends generation; {@code eos[0]} is tokenizer_config's eos_token
 * @param pad the padding id
 * @param byName every added token (special tokens and the think tokens) to its id, in id order
 * @param thinkStart the id of {@code <think>}
 * @param thinkEnd the id of {@code </think>}
 */
public record SpecialTokenIds(
        int bos, int[] eos, int pad, Map<String, Integer> byName, int thinkStart, int thinkEnd) {

    public SpecialTokenIds {
        // Records expose their components; copy so nobody can mutate ours through them.
        eos = eos.clone();
        byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }

    @Override
    public int[] eos() {
        return eos.clone();
    }

    /** The id of an added token, failing loudly if the format does not have it. */
    public int id(String token) {
        Integer id = byName.get(token);
        if (id == null) {
            throw new IllegalArgumentException(
                    "No added token '" + token + "'; have " + byName.keySet());
        }
        return id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecialTokenIds s
                && bos == s.bos
                && pad == s.pad
                && thinkStart == s.thinkStart
                && thinkEnd == s.thinkEnd
                && Arrays.equals(eos, s.eos)
                && byName.equals(s.byName);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(eos) + byName.hashCode();
    }

    @Override
    public String toString() {
        return "SpecialTokenIds[bos="
                + bos
                + ", eos="
                + Arrays.toString(eos)
                + ", pad="
                + pad
                + ", thinkStart="
                + thinkStart
                + ", thinkEnd="
                + thinkEnd
                + ", byName="
                + byName
                + "]";
    }
}
