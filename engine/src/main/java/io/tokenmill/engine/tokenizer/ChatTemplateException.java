package io.tokenmill.engine.tokenizer;

/**
 * A chat template failed to parse or render, or called {@code raise_exception(msg)}. Thrown by
 * {@link ChatTemplate}; the message names the problem (and, for raise_exception, carries the
 * template's own message verbatim).
 */
public class ChatTemplateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
