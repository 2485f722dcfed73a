package io.tokenmill.engine.tokenizer;

/**
 * A chat template failed to parse or render, broke a sandbox limit, or called {@code
 * raise_exception(msg)}. Thrown by {@link ChatTemplate}; the message names the problem (and, for
 * raise_exception, carries the template's own message verbatim).
 */
public class ChatTemplateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean raisedByTemplate;

    public ChatTemplateException(String message) {
        super(message);
        this.raisedByTemplate = false;
    }

    public ChatTemplateException(String message, Throwable cause) {
        this(message, cause, false);
    }

    ChatTemplateException(String message, Throwable cause, boolean raisedByTemplate) {
        super(message, cause);
        this.raisedByTemplate = raisedByTemplate;
    }

    /**
     * True when the template itself refused the conversation with {@code raise_exception}: it ran
     * within its limits, and the conversation (not the template) is what the message is about.
     */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
