package io.tokenmill.engine.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.CollectionTooBigException;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import jinjava.javax.el.CompositeELResolver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 *
 * <p>Sandboxed: templates ship with downloaded models, so they are untrusted code. A template is one
 * self-contained string: {@code include}, {@code import}, {@code from} and {@code extends} are refused
 * at construction (and could not load anything anyway: the resource locator refuses every name), as are
 * the filters that evaluate strings as templates or regexes. Values expose only the Python str, list and
 * dict methods HF templates call ({@link PythonStringMethods}, {@link SandboxedAccess}), never Java
 * methods or bean properties. Text a template prints is never rendered again (jinjava's nested
 * interpretation is off), so a message containing <code>&#123;&#123; ... &#125;&#125;</code> stays
 * text. Limits, each a clear {@link ChatTemplateException}: source of {@link #MAX_SOURCE_CHARS}
 * characters, blocks or brackets nested {@link #MAX_NESTING_DEPTH} deep, output (and any string built)
 * of {@link #MIN_OUTPUT_CHARS} plus {@link #OUTPUT_CHARS_PER_INPUT_CHAR} per character of the
 * conversation, lists and dicts of {@link #MAX_COLLECTION_SIZE} items, and per render the node, time
 * and allocation budget of {@link RenderGuard}; a stack overflow (a value nested too deep to print) is
 * caught and reported the same way.
 */
public final class ChatTemplate {

    /** Real chat templates are a few KB; the largest known are under 100 KB. */
    public static final int MAX_SOURCE_CHARS = 1 << 20;
    /** Real templates nest a handful of levels. */
    public static final int MAX_NESTING_DEPTH = 64;
    /** Output allowed for an empty conversation (system prompts, tool descriptions, dates). */
    public static final long MIN_OUTPUT_CHARS = 1 << 20;
    /** Output allowed per character of the messages: templates wrap messages, they do not multiply them. */
    public static final long OUTPUT_CHARS_PER_INPUT_CHAR = 4;
    /** Largest list or dict a template may hold (messages included). */
    public static final int MAX_COLLECTION_SIZE = 100_000;

    /** Statements that would load another template: a model's template must not reach the classpath. */
    private static final Set<String> FORBIDDEN_STATEMENTS = Set.of("include", "import", "from", "extends");
    /**
     * jinjava filters that are no part of Jinja2 and unsafe on untrusted input: render (a string as a
     * template), regex_replace (a backtracking regex cannot be interrupted), YAML and JSON parsing.
     */
    private static final Set<String> FORBIDDEN_FILTERS =
            Set.of("render", "regex_replace", "fromyaml", "toyaml", "fromjson");
    private static final CompositeELResolver RESOLVER = resolver();

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
        checkShape(source);
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

        long inputChars = 0;
        for (ChatMessage m : messages) {
            inputChars += String.valueOf(m.content()).length();
        }
        long maxChars = MIN_OUTPUT_CHARS + OUTPUT_CHARS_PER_INPUT_CHAR * inputChars;
        RenderResult result;
        try (RenderGuard.Scope guard = RenderGuard.begin(inputChars, maxChars)) {
            result = renderGuarded(vars, maxChars);
            if (guard.violation() != null) {
                throw new ChatTemplateException(guard.violation());
            }
        }
        List<TemplateError> errors = fatal(result.getErrors());
        if (!errors.isEmpty()) {
            throw toException("rendering failed", errors, maxChars);
        }
        String out = result.getOutput();
        if (out.length() > maxChars) {
            throw new ChatTemplateException(tooLong(maxChars));
        }
        return out;
    }

    private RenderResult renderGuarded(Map<String, Object> vars, long maxChars) {
        JinjavaInterpreter outer = JinjavaInterpreter.getCurrent();
        try {
            return jinjava.renderForResult(compiledSource, vars, config(maxChars));
        } catch (StackOverflowError e) {
            restoreCurrentInterpreter(outer);
            throw new ChatTemplateException(tooDeep());
        }
    }

    private static String tooDeep() {
        return "chat template nests too deeply to render (stack overflow): a value or block nested"
                + " thousands of levels deep";
    }

    private static String tooBig() {
        return "chat template builds a list or dict of more than " + MAX_COLLECTION_SIZE + " items";
    }

    /** After a stack overflow, unwinding may have skipped jinjava's own pops of its thread-local stack. */
    private static void restoreCurrentInterpreter(JinjavaInterpreter outer) {
        while (JinjavaInterpreter.getCurrent() != null && JinjavaInterpreter.getCurrent() != outer) {
            JinjavaInterpreter.popCurrent();
        }
    }

    private static String tooLong(long maxChars) {
        return "chat template output exceeds " + maxChars + " characters (the limit for this conversation)";
    }

    /** Rejects what no real template looks like before anything parses it. */
    private static void checkShape(String source) {
        if (source.length() > MAX_SOURCE_CHARS) {
            throw new ChatTemplateException(
                    "chat template is " + source.length() + " characters; the limit is " + MAX_SOURCE_CHARS);
        }
        for (String statement : TemplateSource.statementsUsed(source)) {
            if (FORBIDDEN_STATEMENTS.contains(statement)) {
                throw new ChatTemplateException(
                        "chat template uses {% " + statement + " %}, which is not allowed: a model's chat"
                                + " template must be one self-contained string and may not load other templates");
            }
        }
        int depth = TemplateSource.nestingDepth(source);
        if (depth > MAX_NESTING_DEPTH) {
            throw new ChatTemplateException(
                    "chat template nests blocks or brackets " + depth + " deep; the limit is " + MAX_NESTING_DEPTH);
        }
    }

    private Jinjava newJinjava() {
        Jinjava j = new Jinjava(config(MIN_OUTPUT_CHARS));
        j.setResourceLocator(
                (name, encoding, interpreter) -> {
                    throw new IOException("chat templates may not load other templates ('" + name + "')");
                });
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
        for (String name : SizeCheckedFilter.SIZED) {
            j.getGlobalContext().registerFilter(new SizeCheckedFilter(j.getGlobalContext().getFilter(name)));
        }
        return j;
    }

    private static CompositeELResolver resolver() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(new SandboxedAccess());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        return resolver;
    }

    /** The jinjava configuration of a render whose output (and every string it builds) is capped. */
    private static JinjavaConfig config(long maxChars) {
        // Without these two overrides '{{- x -}}' does not trim at all. (The third, natural
        // operator precedence, is left off on purpose: it makes "not x is defined" mean
        // "(not x) is defined", which breaks the R1 and Llama templates.)
        LegacyOverrides overrides =
                LegacyOverrides.newBuilder()
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build();
        return JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(overrides)
                .withElResolver(RESOLVER)
                // Jinja2 prints a value containing "{{" as text; jinjava would render it again.
                .withNestedInterpretationEnabled(false)
                .withMaxOutputSize(maxChars)
                .withMaxStringLength(maxChars)
                .withMaxListSize(MAX_COLLECTION_SIZE)
                .withMaxMapSize(MAX_COLLECTION_SIZE)
                .withDisabled(
                        Map.of(
                                Context.Library.TAG, FORBIDDEN_STATEMENTS,
                                Context.Library.FILTER, FORBIDDEN_FILTERS))
                .withProcessors(
                        JinjavaProcessors.newBuilder()
                                .withNodePreProcessor((node, interpreter) -> RenderGuard.onNode())
                                .build())
                .build();
    }

    /** jinjava renders an unknown filter as nothing, silently; refuse such templates instead. */
    private void checkFilters() {
        for (String name : TemplateSource.filtersUsed(compiledSource)) {
            if (FORBIDDEN_FILTERS.contains(name)) {
                throw new ChatTemplateException(
                        "chat template uses filter '" + name + "', which is not allowed in chat templates");
            }
            if (jinjava.getGlobalContext().getFilter(name) == null) {
                throw new ChatTemplateException(
                        "chat template uses filter '" + name + "', which jinjava does not provide");
            }
        }
    }

    /** Parse once up front so a broken template fails at load, not on the first request. */
    private void checkSyntax() {
        JinjavaInterpreter outer = JinjavaInterpreter.getCurrent();
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            interpreter.parse(compiledSource);
        } catch (StackOverflowError e) {
            restoreCurrentInterpreter(outer);
            throw new ChatTemplateException("chat template nests too deeply to parse (stack overflow)");
        } finally {
            if (JinjavaInterpreter.getCurrent() == interpreter) {
                JinjavaInterpreter.popCurrent();
            }
        }
        List<TemplateError> fatal = fatal(interpreter.getErrors());
        if (!fatal.isEmpty()) {
            throw toException("does not parse", fatal, MIN_OUTPUT_CHARS);
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

    private static ChatTemplateException toException(
            String what, List<TemplateError> errors, long maxChars) {
        // raise_exception is the template talking to the user: surface its message alone.
        for (TemplateError e : errors) {
            for (Throwable t = e.getException(); t != null; t = t.getCause()) {
                if (t instanceof JinjaCompat.RaisedException) {
                    return new ChatTemplateException(
                            "chat template raised an exception: " + t.getMessage(), t, true);
                }
                if (t instanceof RenderGuard.LimitExceeded) {
                    return new ChatTemplateException(t.getMessage());
                }
                // jinjava's own limits, and overflows it caught (reflection wraps them): our words,
                // since its messages name Java classes.
                if (t instanceof OutputTooBigException) {
                    return new ChatTemplateException(tooLong(maxChars));
                }
                if (t instanceof CollectionTooBigException) {
                    return new ChatTemplateException(tooBig());
                }
                if (t instanceof StackOverflowError) {
                    return new ChatTemplateException(tooDeep());
                }
            }
        }
        // jinjava's own limits: its messages name Java classes, so say it in our words.
        for (TemplateError e : errors) {
            if (e.getReason() == TemplateError.ErrorReason.OUTPUT_TOO_BIG) {
                return new ChatTemplateException(tooLong(maxChars));
            }
            if (e.getReason() == TemplateError.ErrorReason.COLLECTION_TOO_BIG) {
                return new ChatTemplateException(tooBig());
            }
            if (e.getReason() == TemplateError.ErrorReason.DISABLED) {
                return new ChatTemplateException(
                        "chat template uses '" + e.getFieldName() + "', which is not allowed in chat templates");
            }
        }
        String detail =
                errors.stream()
                        .map(e -> e.getMessage() + " (line " + e.getLineno() + ")")
                        .collect(Collectors.joining("; "));
        return new ChatTemplateException("chat template " + what + ": " + detail);
    }
}
