package io.tokenmill.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

/** The Python-isms of HF templates that jinjava needs help with. */
class JinjaCompatTest {

    private static String render(String template, String content) {
        return new ChatTemplate(template, "<s>", "</s>")
                .render(List.of(ChatMessage.user(content)), false, false);
    }

    @Test
    void pythonStringMethods() {
        String c = "{% set c = messages[0].content %}";
        assertEquals("true|false", render(c + "{{ c.startswith('<a>') }}|{{ c.endswith('<a>') }}", "<a>x"));
        assertEquals("[x]", render(c + "[{{ c.strip('\\n') }}]", "\n\nx\n"));
        assertEquals("[x\n]", render(c + "[{{ c.lstrip() }}]", " \t\nx\n"));
        assertEquals("[\nx]", render(c + "[{{ c.rstrip('\\n ') }}]", "\nx \n"));
        // Python split keeps the trailing empty piece; Java's would drop it
        assertEquals("[]", render(c + "[{{ c.split('</think>')[-1] }}]", "reasoning</think>"));
        assertEquals("3|a b", render(c + "{{ c.split()|length }}|{{ c.split(' ', 1)[1] }}", "x a b"));
        assertEquals("A.B|Ab Cd", render(c + "{{ c.upper() }}|{{ 'ab cd'.title() }}", "a.b"));
        assertEquals("x-y-z", render("{{ '-'.join(['x', 'y', 'z']) }}", ""));
    }

    @Test
    void namespaceWithExpressionsAndReversedLoops() {
        String t =
                "{%- set ns = namespace(last=messages|length - 1, seen='') %}"
                        + "{%- for m in messages[::-1] %}{% set ns.seen = ns.seen + m.content %}{% endfor %}"
                        + "{{- ns.last }}:{{ ns.seen }}";
        ChatTemplate template = new ChatTemplate(t, null, null);
        assertEquals(
                "1:ba",
                template.render(List.of(ChatMessage.user("a"), ChatMessage.assistant("b")), false, true));
    }

    @Test
    void sourceRewritesTouchOnlyTagCode() {
        assertEquals(
                "a[::-1] {{ x|reverse }} {{ 'y[::-1]' }} {% set ns = namespace(a=(b|length - 1), c=('x,y')) %}",
                TemplateSource.rewrite(
                        "a[::-1] {{ x[::-1] }} {{ 'y[::-1]' }} {% set ns = namespace(a=b|length - 1, c='x,y') %}"));
        assertEquals(
                List.of("trim", "tojson"),
                List.copyOf(TemplateSource.filtersUsed("<|x|> {{ '<|im_start|>' + m|trim }}{% if a %}{{ b | tojson }}{% endif %}")));
    }

    @Test
    void whitespaceControlMatchesJinja2() {
        String t =
                "{#- note #}\n{%- if true %}\n    {{- 'a' }}\n{%- endif %}\n  {% if true %}\n  b\n"
                        + "  {% endif %}\nc {{- ' x ' -}} d\n  {# note #}\ne";
        assertEquals("a  b\nc x d\ne", new ChatTemplate(t, null, null).render(List.of(), false, false));
    }

    @Test
    void variablesAndExtraVariables() {
        String t = "{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|{{ enable_thinking }}|{{ x }}|{{ messages|tojson }}";
        assertEquals(
                "<s>|</s>|true|false|7|[{\"role\": \"user\", \"content\": \"é\"}]",
                new ChatTemplate(t, "<s>", "</s>")
                        .render(List.of(ChatMessage.user("é")), true, false, Map.of("x", 7)));
        assertEquals("[]", new ChatTemplate("[{{ bos_token }}]", null, null).render(List.of(), false, false));
    }

    @Test
    void tojsonPrintsLikeHf() {
        Map<String, Object> tool = new java.util.LinkedHashMap<>();
        tool.put("name", "now");
        tool.put("args", List.of(1, true, "a\"b\n"));
        tool.put("none", null);
        tool.put("empty", Map.of());
        Map<String, Object> vars = Map.of("tool", tool);
        ChatTemplate t = new ChatTemplate("{{ tool|tojson }}|{{ tool|tojson(indent=2) }}", null, null);
        assertEquals(
                "{\"name\": \"now\", \"args\": [1, true, \"a\\\"b\\n\"], \"none\": null, \"empty\": {}}|"
                        + "{\n  \"name\": \"now\",\n  \"args\": [\n    1,\n    true,\n    \"a\\\"b\\n\"\n  ],\n"
                        + "  \"none\": null,\n  \"empty\": {}\n}",
                t.render(List.of(), false, false, vars));
    }

    @Test
    void strftime() {
        LocalDateTime t = LocalDateTime.of(2024, 7, 6, 9, 5, 3);
        assertEquals("06 Jul 2024", JinjaCompat.strftime("%d %b %Y", t));
        assertEquals("6 July 2024, Saturday 09:05:03 AM 100%", JinjaCompat.strftime("%-d %B %Y, %A %H:%M:%S %p 100%%", t));
        assertEquals("true", new ChatTemplate("{{ strftime_now is defined }}", null, null).render(List.of(), false, false));
    }
}
