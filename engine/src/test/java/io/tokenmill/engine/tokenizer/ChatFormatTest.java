package io.tokenmill.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChatFormatTest {

    @Test
    void fromName() {
        assertEquals(ChatFormat.CHATML, ChatFormat.fromName("chatml"));
        assertEquals(ChatFormat.QWEN3, ChatFormat.fromName("Qwen3"));
        assertEquals(ChatFormat.DEEPSEEK_R1, ChatFormat.fromName("r1"));
        assertEquals(ChatFormat.DEEPSEEK_R1, ChatFormat.fromName("deepseek-r1"));
        assertEquals(ChatFormat.DEEPSEEK_R1, ChatFormat.fromName("DEEPSEEK_R1"));
        assertEquals(ChatFormat.LLAMA3, ChatFormat.fromName("llama3"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ChatFormat.fromName("mistral"));
        assertEquals(
                "Unknown chat format 'mistral'; valid names: chatml, qwen3, deepseek-r1 (alias r1), llama3",
                e.getMessage());
    }

    @Test
    void defaultFor() {
        assertEquals(ChatFormat.CHATML, ChatFormat.defaultFor("qwen2"));
        assertEquals(ChatFormat.QWEN3, ChatFormat.defaultFor("qwen3"));
        assertEquals(ChatFormat.LLAMA3, ChatFormat.defaultFor("llama"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ChatFormat.defaultFor("gpt2"));
        assertTrue(e.getMessage().contains("gpt2"), e.getMessage());
    }

    @Test
    void tokensAndTemplates() {
        for (ChatFormat f : ChatFormat.values()) {
            assertTrue(f.specialTokens().containsAll(f.eosTokens()), f.name());
            assertTrue(f.specialTokens().contains(f.padToken()), f.name());
            f.bosToken().ifPresent(b -> assertTrue(f.specialTokens().contains(b)));
            assertEquals(ChatFormat.THINK_END, f.addedTokens().get(f.addedTokens().size() - 1));
            assertTrue(!f.chatTemplate().isBlank() && !f.chatTemplate().endsWith("\n"), f.name());
        }
        assertTrue(ChatFormat.CHATML.bosToken().isEmpty());
        assertEquals("<|eot_id|>", ChatFormat.LLAMA3.eosToken());
    }
}
