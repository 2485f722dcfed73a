package io.tokenmill.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

/**
 * Chat templates come with downloaded models: rendering one must not reach the classpath or Java
 * objects, re-render message text, or run, grow or nest without bound. Each refusal is a {@link
 * ChatTemplateException} with a message in our words.
 */
class ChatTemplateSandboxTest {

    private static final Duration HANG_GUARD = Duration.ofSeconds(20);
    private static final List<ChatMessage> HELLO = List.of(ChatMessage.user("Hello"));

    private static String render(String template, List<ChatMessage> messages) {
        return new ChatTemplate(template, "<s>", "</s>").render(messages, true, true);
    }

    private static String refusal(String template) {
        ChatTemplateException e =
                assertTimeoutPreemptively(
                        HANG_GUARD,
                        () -> assertThrows(ChatTemplateException.class, () -> render(template, HELLO)));
        assertFalse(e.getMessage().contains("Exception") || e.getMessage().contains("java."), e.getMessage());
        return e.getMessage();
    }

    @Test
    void includeCannotReadTheClasspath() {
        String m = refusal("{% include 'META-INF/MANIFEST.MF' %}");
        assertTrue(m.contains("{% include %}") && m.contains("self-contained"), m);
    }

    @Test
    void messageTextIsNeverRenderedAgain() {
        String out = render("{{ messages[0].content }}", List.of(ChatMessage.user("{{ 7 * 6 }} {% if true %}x{% endif %}")));
        assertEquals("{{ 7 * 6 }} {% if true %}x{% endif %}", out);
    }

    @Test
    void javaMethodsAndBeanPropertiesAreOutOfReach() {
        String m = refusal("{{ 'x'.repeat(2000000000) }}");
        assertEquals("chat template calls repeat() on a str, which is not available to chat templates", m);
        // Jinja2 has no such attributes: undefined, printed as nothing (not "[B@1f2a...").
        assertEquals("||", render("{{ messages[0].content.bytes }}|{{ messages.class }}|{{ loop }}", HELLO));
        // The Python methods templates use still work.
        assertEquals("HE|1|a-b", render("{{ messages[0].content.upper()[:2] }}|{{ messages|length }}"
                + "{% set ns = namespace(l=[]) %}{% do ns.l.append('a') %}{% do ns.l.append('b') %}|{{ '-'.join(ns.l) }}",
                HELLO));
    }

    @Test
    void loopsThatNeverEndStopWithinTheRenderBudget() {
        long t0 = System.nanoTime();
        String m = refusal("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}");
        assertTrue(m.contains("loop that does not end") || m.contains("keeps growing"), m);
        assertTrue(System.nanoTime() - t0 < (RenderGuard.MAX_MILLIS + 3_000) * 1_000_000, "stopped late");
    }

    @Test
    void valuesThatDoubleStopAtTheSizeLimit() {
        String m = refusal("{% set ns = namespace(x='ab') %}{% for i in range(64) %}{% set ns.x = ns.x ~ ns.x %}"
                + "{% endfor %}{{ ns.x }}");
        assertTrue(m.contains("characters"), m);
        m = refusal("{% set ns = namespace(x=[1]) %}{% for i in range(64) %}{% set ns.x = ns.x + ns.x %}{% endfor %}");
        assertTrue(m.contains("more than " + ChatTemplate.MAX_COLLECTION_SIZE + " items"), m);
    }

    @Test
    void deepNestingIsAnErrorAndTheThreadStaysUsable() {
        String m = refusal("{% if true %}".repeat(3000) + "x" + "{% endif %}".repeat(3000));
        assertTrue(m.contains("3000 deep"), m);
        m = refusal("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% for j in range(100) %}"
                + "{% set ns.x = [ns.x] %}{% endfor %}{% endfor %}{{ ns.x|tojson }}");
        assertTrue(m.contains("nests too deeply"), m);
        // The overflow unwound through jinjava: this thread renders normally afterwards.
        ChatTemplate ok = new ChatTemplate("{{ messages[0].content }}!", null, null);
        assertEquals("Hello!", ok.render(HELLO, false, false));
    }

    @Test
    void outputIsBoundedByTheConversationSize() {
        String loop = "{% for a in range(1000) %}{% for b in range(300) %}{{ messages[0].content }}{% endfor %}{% endfor %}";
        String m = refusal(loop);
        assertTrue(m.contains("output exceeds " + (ChatTemplate.MIN_OUTPUT_CHARS + 4 * "Hello".length())), m);
        // Long conversations get proportionally more room: a 100k-character message renders.
        String longText = "y".repeat(100_000);
        assertEquals(longText, render("{{ messages[0].content }}", List.of(ChatMessage.user(longText))));
    }

    @Test
    void realTemplatesRenderLongConversationsWithinTheLimits() {
        List<ChatMessage> turns = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            turns.add(ChatMessage.user("question " + i + " " + "x".repeat(200)));
            turns.add(ChatMessage.assistant("answer " + i));
        }
        for (ChatFormat f : ChatFormat.values()) {
            String out = new ChatTemplate(f.chatTemplate(), f.bosToken().orElse(null), f.eosToken())
                    .render(turns, true, true);
            assertTrue(out.contains("question 999 "), f + " rendered " + out.length() + " chars");
        }
    }

    @Test
    void unclosedTagsAreScannedInLinearTime() {
        String template = "{{ x ".repeat(200_000);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> TemplateSource.rewrite(template));
    }
}
