package io.tokenmill.engine.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import jinjava.javax.el.CompositeELResolver;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An HF chat template ({@code chat_template} in tokenizer_config.json) rendered with jinjava the
 * way transformers' {@code apply_chat_template} renders it with Jinja2: {@code trim_blocks} and
 * {@code lstrip_blocks} on, strict {@code {%- -%}} / {@code {{- -}}} whitespace control, the
 * variables {@code messages}, {@code add_generation_prompt}, {@code enable_thinking}, {@code
 * bos_token}, {@code eos_token}, the functions {@code raise_exception} and {@code
 * strftime_now}, and HF's {@code tojson}. Obtained from {@link ModelTokenizer#chatTemplate()};
 * rendered by the engine and the Spark UDFs to build prompts.
 *
 * <p>Thread-safe: the Jinjava instance is built once per template and every render gets its own
 * interpreter, so many threads may render concurrently.
 *
 * <p>jinjava differences handled here: whitespace control (legacy overrides), Python string
 * methods ({@link PythonStringMethods}), {@code [::-1]} and {@code namespace(k=a - b)} ({@link
 * TemplateSource}), HF functions ({@link JinjaCompat}), unknown filters (rejected at
 * construction; jinjava would drop them silently). Known gaps not papered over: {@code
 * loop.previtem}/{@code loop.nextitem} (used only by tool-calling branches); {@code a and b}
 * yields a boolean rather than Python's operand; {@code not x|length > 0} needs parentheses; a
 * comment opened with <code>&#123;#-</code> also eats the whitespace after it.
 */
public final class ChatTemplate {

    private final String source;
    private final String compiledSource;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    /**
     * @param source the Jinja template text
     * @param bosToken the tokenizer's BOS token text, or null (then {@code bos_token} is undefined)
     * @param eosToken the tokenizer's EOS token text, or null
     * @throws ChatTemplateException if the template does not parse
     */
    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = Objects.requireNonNull(source, "source");
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.compiledSource = TemplateSource.rewrite(source);
        this.jinjava = newJinjava();
        checkFilters();
        checkSyntax();
    }

    /** The template text as given (before jinjava compatibility rewrites). */
    public String source() {
        return source;
    }

    /** Renders with no extra variables. */
    public String render(
            List<ChatMessage> messages, boolean addGenerationPrompt, boolean enableThinking) {
        return render(messages, addGenerationPrompt, enableThinking, Map.of());
    }

    /**
     * Renders the conversation into prompt text.
     *
     * @param addGenerationPrompt append the opening of an assistant turn
     * @param enableThinking Qwen3's switch; other templates ignore it
     * @param extraVariables more template variables ({@code date_string}, ...); the standard
     *     variables above take precedence over entries with the same name
     * @throws ChatTemplateException if rendering fails or the template calls raise_exception
     */
    public String render(
            List<ChatMessage> messages,
            boolean addGenerationPrompt,
            boolean enableThinking,
            Map<String, Object> extraVariables) {
        Map<String, Object> vars = new HashMap<>(extraVariables);
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        vars.put("messages", msgs);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("enable_thinking", enableThinking);
        if (bosToken != null) {
            vars.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            vars.put("eos_token", eosToken);
        }
        // Templates probe "strftime_now is defined" before calling it; jinjava's "defined" only
        // sees variables, so shadow the functions with placeholders (calls still reach them).
        vars.put("strftime_now", "<function strftime_now>");
        vars.put("raise_exception", "<function raise_exception>");

        RenderResult result = jinjava.renderForResult(compiledSource, vars);
        List<TemplateError> errors = fatal(result.getErrors());
        if (!errors.isEmpty()) {
            throw toException("rendering failed", errors);
        }
        return result.getOutput();
    }

    private Jinjava newJinjava() {
        // Without these two overrides '{{- x -}}' does not trim at all. (The third, natural
        // operator precedence, is left off on purpose: it makes "not x is defined" mean
        // "(not x) is defined", which breaks the R1 and Llama templates.)
        LegacyOverrides overrides =
                LegacyOverrides.newBuilder()
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build();
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config =
                JinjavaConfig.newBuilder()
                        .withTrimBlocks(true)
                        .withLstripBlocks(true)
                        .withLegacyOverrides(overrides)
                        .withElResolver(resolver)
                        .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext()
                .registerFunction(
                        new ELFunctionDefinition(
                                "", "raise_exception", JinjaCompat.class, "raiseException",
                                Object.class));
        j.getGlobalContext().registerFilter(new JinjaCompat.ToJson());
        j.getGlobalContext()
                .registerFunction(
                        new ELFunctionDefinition(
                                "", "strftime_now", JinjaCompat.class, "strftimeNow",
                                String.class));
        return j;
    }

    /** jinjava renders an unknown filter as nothing, silently; refuse such templates instead. */
    private void checkFilters() {
        for (String name : TemplateSource.filtersUsed(compiledSource)) {
            if (jinjava.getGlobalContext().getFilter(name) == null) {
                throw new ChatTemplateException(
                        "chat template uses filter '" + name + "', which jinjava does not provide");
            }
        }
    }

    /** Parse once up front so a broken template fails at load, not on the first request. */
    private void checkSyntax() {
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            interpreter.parse(compiledSource);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        List<TemplateError> fatal = fatal(interpreter.getErrors());
        if (!fatal.isEmpty()) {
            throw toException("does not parse", fatal);
        }
    }

    /**
     * jinjava reports problems in the result instead of throwing. FATAL ones (syntax errors,
     * unknown functions, exceptions in functions) mean the output is wrong. WARNINGs are property
     * look-ups that found nothing, which Jinja2 also treats as undefined, so they are ignored.
     */
    private static List<TemplateError> fatal(List<TemplateError> errors) {
        return errors.stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)
                .collect(Collectors.toList());
    }

    private static ChatTemplateException toException(String what, List<TemplateError> errors) {
        // raise_exception is the template talking to the user: surface its message alone.
        for (TemplateError e : errors) {
            for (Throwable t = e.getException(); t != null; t = t.getCause()) {
                if (t instanceof JinjaCompat.RaisedException) {
                    return new ChatTemplateException(
                            "chat template raised an exception: " + t.getMessage(), t);
                }
            }
        }
        String detail =
                errors.stream()
                        .map(e -> e.getMessage() + " (line " + e.getLineno() + ")")
                        .collect(Collectors.joining("; "));
        return new ChatTemplateException("chat template " + what + ": " + detail);
    }
}
