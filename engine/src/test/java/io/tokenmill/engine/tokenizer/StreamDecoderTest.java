package io.tokenmill.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

class StreamDecoderTest {

    @TempDir Path dir;

    @Test
    void neverEmitsPartialCharacters() throws Exception {
        TokenizerWriter.write(dir, 512, ChatFormat.QWEN3);
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            int[] ids = tok.encode("é€😀");
            assertEquals(2 + 3 + 4, ids.length);
            StreamDecoder sd = new StreamDecoder(tok, false);
            List<String> out = new ArrayList<>();
            for (int id : ids) {
                out.add(sd.accept(id));
            }
            assertEquals(List.of("", "é", "", "", "€", "", "", "", "😀"), out);
            assertEquals("", sd.flush());
        }
    }

    @Test
    void streamsMixedTextWithSpecialTokens() throws Exception {
        TokenizerWriter.write(dir, 512, ChatFormat.DEEPSEEK_R1);
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            String text = "Let me think… ok</think>\n\nAnswer: 42 ✓<｜end▁of▁sentence｜>";
            StringBuilder keep = new StringBuilder();
            StringBuilder skip = new StringBuilder();
            StreamDecoder withSpecial = new StreamDecoder(tok, false);
            StreamDecoder withoutSpecial = new StreamDecoder(tok, true);
            for (int id : tok.encode(text)) {
                String a = withSpecial.accept(id);
                assertFalse(a.contains("\uFFFD"), a);
                keep.append(a);
                skip.append(withoutSpecial.accept(id));
            }
            keep.append(withSpecial.flush());
            skip.append(withoutSpecial.flush());
            assertEquals(text, keep.toString());
            assertEquals("Let me think… ok</think>\n\nAnswer: 42 ✓", skip.toString());
        }
    }

    @Test
    void flushReturnsHeldBackIncompleteBytes() throws Exception {
        TokenizerWriter.write(dir, 512, ChatFormat.CHATML);
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            StreamDecoder sd = new StreamDecoder(tok, false);
            assertEquals("a", sd.accept('a'));
            assertEquals("", sd.accept(0xE2)); // first byte of a 3-byte character, never completed
            assertEquals("\uFFFD", sd.flush());
        }
    }
}
