package io.tokenmill.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class TokenizerErrorsTest {

    @TempDir Path dir;

    @Test
    void vocabTooSmall() {
        // QWEN3: 256 bytes + 3 specials + 2 think tokens = 261
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TokenizerWriter.write(dir, 260, ChatFormat.QWEN3));
        assertTrue(e.getMessage().contains("vocabSize 260 is too small"), e.getMessage());
        assertTrue(e.getMessage().contains("at least 261"), e.getMessage());
    }

    @Test
    void smallestVocabWorks() throws Exception {
        SpecialTokenIds ids = TokenizerWriter.write(dir, 261, ChatFormat.QWEN3);
        assertEquals(260, ids.thinkEnd());
    }

    @Test
    void missingTokenizerJsonNamesTheFile() {
        IOException e = assertThrows(IOException.class, () -> ModelTokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json missing in"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toAbsolutePath().toString()), e.getMessage());
    }

    @Test
    void raiseExceptionSurfacesTheTemplatesMessage() throws Exception {
        TokenizerWriter.write(dir, 512, ChatFormat.CHATML);
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            ChatTemplateException e =
                    assertThrows(
                            ChatTemplateException.class,
                            () ->
                                    tok.chatTemplate()
                                            .orElseThrow()
                                            .render(List.of(new ChatMessage("tool", "x")), true, true));
            assertTrue(e.getMessage().contains("Unsupported message role \"tool\""), e.getMessage());
        }
        ChatTemplate custom =
                new ChatTemplate("{{ raise_exception('Conversation roles must alternate') }}", null, null);
        ChatTemplateException e =
                assertThrows(ChatTemplateException.class, () -> custom.render(List.of(), false, false));
        assertEquals("chat template raised an exception: Conversation roles must alternate", e.getMessage());
    }

    @Test
    void brokenTemplatesFailLoudly() {
        ChatTemplateException parse =
                assertThrows(ChatTemplateException.class, () -> new ChatTemplate("{% if x %}open", null, null));
        assertTrue(parse.getMessage().contains("endif"), parse.getMessage());

        ChatTemplateException filter =
                assertThrows(
                        ChatTemplateException.class,
                        () -> new ChatTemplate("{{ '<|im_start|>' + messages|no_such_filter }}", null, null));
        assertEquals(
                "chat template uses filter 'no_such_filter', which jinjava does not provide",
                filter.getMessage());
        ChatTemplate unknownFunction = new ChatTemplate("{{ no_such_fn(1) }}", null, null);
        ChatTemplateException e =
                assertThrows(ChatTemplateException.class, () -> unknownFunction.render(List.of(), false, false));
        assertTrue(e.getMessage().contains("no_such_fn"), e.getMessage());
    }

    @Test
    void loadsWithoutChatTemplate() throws Exception {
        TokenizerWriter.write(dir, 512, ChatFormat.LLAMA3);
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<|begin_of_text|>\", \"lstrip\": false},"
                        + " \"eos_token\": {\"content\": \"<|end_of_text|>\"}}");
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            assertTrue(tok.chatTemplate().isEmpty());
            assertEquals(256, tok.bosId());
            assertEquals("<|end_of_text|>", tok.eosToken());
            assertEquals(257, tok.eosIds()[0]);
        }
        Files.delete(dir.resolve("tokenizer_config.json"));
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            assertTrue(tok.chatTemplate().isEmpty());
            assertEquals(-1, tok.bosId());
            assertEquals(0, tok.eosIds().length);
        }
    }

    @Test
    void chatTemplateListPicksDefault() throws Exception {
        TokenizerWriter.write(dir, 512, ChatFormat.CHATML);
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                "{\"eos_token\": \"<|im_end|>\", \"chat_template\": ["
                        + "{\"name\": \"tool_use\", \"template\": \"TOOLS\"},"
                        + "{\"name\": \"default\", \"template\": \"{{ messages[0].content }}!\"}]}");
        try (ModelTokenizer tok = ModelTokenizer.load(dir)) {
            assertEquals("hi!", tok.chatTemplate().orElseThrow().render(List.of(ChatMessage.user("hi")), false, true));
        }
    }

    @Test
    void badChatTemplateTypeNamesTheField() throws Exception {
        TokenizerWriter.write(dir, 512, ChatFormat.CHATML);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 42}");
        IOException e = assertThrows(IOException.class, () -> ModelTokenizer.load(dir));
        assertEquals("tokenizer_config.json: chat_template is not a string or list", e.getMessage());
    }

    @Test
    void unknownEosTokenIsReported() throws Exception {
        TokenizerWriter.write(dir, 512, ChatFormat.CHATML);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        IOException e = assertThrows(IOException.class, () -> ModelTokenizer.load(dir));
        assertTrue(e.getMessage().contains("eos_token '</s>' is not a token of tokenizer.json"), e.getMessage());
    }
}
