package io.tokenmill.engine.tokenizer;

import java.util.Objects;

/**
 * One turn of a conversation, as HF chat templates see it ({@code {"role": ..., "content": ...}}).
 * Built by callers of {@link ChatTemplate#render}: the Spark UDFs and the CLI.
 *
 * @param role "system", "user" or "assistant" (templates reject other roles with an error)
 * @param content the turn's text; an assistant turn may contain a {@code <think>...</think>} block
 */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
