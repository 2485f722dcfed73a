package io.tokenmill.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes a tokenizer for each ChatFormat and loads it back through ModelTokenizer / DJL. */
class TokenizerRoundTripTest {

    @TempDir Path dir;

    private static final List<String> TEXTS =
            List.of(
                    "Hello, world!",
                    "0123456789 3.14159 -42",
                    "line one\nline two\r\n\ttabbed  double  space ",
                    " leading space",
                    "é€😀 中文 Ελληνικά العربية",
                    "e\u0301 (decomposed, must not be NFC-normalised)",
                    "",
                    "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./");

    @ParameterizedTest
    @EnumSource(ChatFormat.class)
    void roundTripsTextAndAssignsDocumentedIds(ChatFormat format) throws Exception {
        SpecialTokenIds ids = TokenizerWriter.write(dir, 512, format);
        List<String> added = format.addedTokens();
        for (int i = 0; i < added.size(); i++) {
            assertEquals(256 + i, ids.byName().get(added.get(i)), added.get(i));
        }
        assertEquals(ids.id(ChatFormat.THINK_START), ids.thinkStart());
        assertEquals(ids.thinkStart() + 1, ids.thinkEnd());

        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            for (String text : TEXTS) {
                int[] enc = tok.encode(text);
                // no merges: one token per UTF-8 byte, id = byte value
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                assertEquals(bytes.length, enc.length, text);
                for (int i = 0; i < bytes.length; i++) {
                    assertEquals(bytes[i] & 0xFF, enc[i]);
                }
                assertEquals(text, tok.decode(enc), text);
            }
            assertEquals(ids.thinkStart(), tok.thinkStartId());
            assertEquals(ids.thinkEnd(), tok.thinkEndId());
            assertEquals(ids.bos(), tok.bosId());
            assertArrayEquals(new int[] {ids.eos()[0]}, tok.eosIds());
            assertEquals(format.eosToken(), tok.eosToken());
            assertEquals(format.bosToken().orElse(null), tok.bosToken());
            for (Map.Entry<String, Integer> e : ids.byName().entrySet()) {
                assertEquals(e.getValue(), tok.tokenId(e.getKey()).getAsInt());
            }
            assertEquals(97, tok.tokenId("a").getAsInt());
            assertEquals(32, tok.tokenId("Ġ").getAsInt()); // GPT-2 symbol for the space byte
            assertTrue(tok.tokenId("<nope>").isEmpty());
        }
    }

    @ParameterizedTest
    @EnumSource(ChatFormat.class)
    void addedTokensInsideTextAreSingleIds(ChatFormat format) throws Exception {
        SpecialTokenIds ids = TokenizerWriter.write(dir, 512, format);
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            for (Map.Entry<String, Integer> e : ids.byName().entrySet()) {
                String text = "a" + e.getKey() + "b";
                assertArrayEquals(new int[] {'a', e.getValue(), 'b'}, tok.encode(text), e.getKey());
                assertArrayEquals(new int[] {e.getValue()}, tok.encode(e.getKey()));
                assertEquals(text, tok.decode(tok.encode(text)));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ChatFormat.class)
    void skipSpecialDropsSpecialsButKeepsThinkTagsAndUnusedIdsDecodeEmpty(ChatFormat format)
            throws Exception {
        SpecialTokenIds ids = TokenizerWriter.write(dir, 512, format);
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            String eos = format.eosToken();
            String text = "<think>\nx\n</think>\n\nHi" + eos;
            assertEquals(text, tok.decode(tok.encode(text)));
            assertEquals("<think>\nx\n</think>\n\nHi", tok.decode(tok.encode(text), true));
            // ids past the tokenizer but inside the model's vocab (a random model emits them)
            assertEquals("Hi", tok.decode(new int[] {'H', 500, 'i', 511}));
        }
    }

    @ParameterizedTest
    @EnumSource(ChatFormat.class)
    void writesHfShapedFiles(ChatFormat format) throws Exception {
        TokenizerWriter.write(dir, 300, format, 4096);
        JsonObject tj = JsonParser.parseString(Files.readString(dir.resolve("tokenizer.json"))).getAsJsonObject();
        assertEquals("BPE", tj.getAsJsonObject("model").get("type").getAsString());
        assertEquals(256, tj.getAsJsonObject("model").getAsJsonObject("vocab").size());
        assertEquals("ByteLevel", tj.getAsJsonObject("pre_tokenizer").get("type").getAsString());
        assertEquals(false, tj.getAsJsonObject("pre_tokenizer").get("add_prefix_space").getAsBoolean());
        assertEquals("ByteLevel", tj.getAsJsonObject("decoder").get("type").getAsString());
        assertEquals(format.addedTokens().size(), tj.getAsJsonArray("added_tokens").size());

        JsonObject cfg =
                JsonParser.parseString(Files.readString(dir.resolve("tokenizer_config.json"))).getAsJsonObject();
        assertEquals(format.chatTemplate(), cfg.get("chat_template").getAsString());
        assertEquals(format.eosToken(), cfg.get("eos_token").getAsString());
        assertEquals(format.padToken(), cfg.get("pad_token").getAsString());
        assertEquals(4096, cfg.get("model_max_length").getAsInt());
        assertEquals(format.bosToken().isPresent(), cfg.has("add_bos_token"));
        JsonObject decoder = cfg.getAsJsonObject("added_tokens_decoder");
        assertEquals("<think>", decoder.getAsJsonObject(String.valueOf(256 + format.specialTokens().size())).get("content").getAsString());
        assertTrue(decoder.getAsJsonObject("256").get("special").getAsBoolean());
    }

    /** Real-HF behaviour of the written file: add_special_tokens=true prepends BOS where one exists. */
    @ParameterizedTest
    @EnumSource(ChatFormat.class)
    void postProcessorAddsBosOnlyWhenAsked(ChatFormat format) throws Exception {
        SpecialTokenIds ids = TokenizerWriter.write(dir, 512, format);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"))) {
            long[] with = hf.encode("hi", true, false).getIds();
            long[] without = hf.encode("hi", false, false).getIds();
            assertArrayEquals(new long[] {'h', 'i'}, without);
            if (ids.bos() >= 0) {
                assertArrayEquals(new long[] {ids.bos(), 'h', 'i'}, with);
            } else {
                assertArrayEquals(without, with);
            }
        }
    }
}
