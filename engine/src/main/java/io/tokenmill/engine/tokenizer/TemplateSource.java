package io.tokenmill.engine.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Adapts HF chat-template source (written for Python Jinja2) to jinjava before {@link
 * ChatTemplate} compiles it, and finds the filters it uses so unknown ones can be rejected
 * (jinjava silently renders an unknown filter as nothing). Only code inside {@code {{ }}} and
 * {@code {% %}} tags is touched, never template text or string literals. Rewrites:
 *
 * <ul>
 *   <li>{@code xs[::-1]} becomes {@code xs|reverse}: jinjava's slices have no step;
 *   <li>keyword values in {@code namespace(a=x|length - 1)} get parentheses: jinjava binds {@code
 *       name=} tighter than binary operators and would evaluate {@code (a=x|length) - 1}.
 * </ul>
 */
final class TemplateSource {

    private static final Pattern STATEMENT = Pattern.compile("[-+]?\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern FILTER = Pattern.compile("\\|\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern NAMESPACE_CALL =
            Pattern.compile("(?<![A-Za-z0-9_.])namespace\\s*\\(");
    private static final Pattern KEYWORD_ARG =
            Pattern.compile("(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=)(?!=)(.*)", Pattern.DOTALL);

    private TemplateSource() {}

    /** The source with the rewrites described in the class comment applied. */
    static String rewrite(String source) {
        StringBuilder out = new StringBuilder();
        int copied = 0;
        for (int[] tag : tags(source)) {
            out.append(source, copied, tag[0]);
            StringBuilder code = new StringBuilder();
            for (String[] seg : segments(source.substring(tag[0], tag[1]))) {
                code.append(seg[1] == null ? seg[0].replace("[::-1]", "|reverse") : seg[0]);
            }
            out.append(parenthesiseNamespaceArgs(code.toString()));
            copied = tag[1];
        }
        return out.append(source.substring(copied)).toString();
    }

    /** Names of the filters the template applies ({@code x|name}), in order of appearance. */
    static Set<String> filtersUsed(String source) {
        Set<String> names = new LinkedHashSet<>();
        for (int[] tag : tags(source)) {
            for (String[] seg : segments(source.substring(tag[0], tag[1]))) {
                if (seg[1] == null) {
                    Matcher f = FILTER.matcher(seg[0]);
                    while (f.find()) {
                        names.add(f.group(1));
                    }
                }
            }
        }
        return names;
    }

    /** Names of the statements the template uses ({@code {% name ... %}}), in order of appearance. */
    static Set<String> statementsUsed(String source) {
        Set<String> names = new LinkedHashSet<>();
        for (int[] tag : tags(source)) {
            String name = statementName(source, tag);
            if (name != null) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * How deep the template nests: blocks ({@code {% if %}} inside {@code {% for %}} ...) and brackets
     * inside one tag's code, whichever is deeper. Rendering and expression parsing recurse once per
     * level, so this bounds the stack a render needs.
     */
    static int nestingDepth(String source) {
        int depth = 0;
        int max = 0;
        for (int[] tag : tags(source)) {
            String name = statementName(source, tag);
            if (name != null && BLOCKS.contains(name)
                    && !(name.equals("set") && source.substring(tag[0], tag[1]).contains("="))) {
                max = Math.max(max, ++depth);
            } else if (name != null && name.startsWith("end") && BLOCKS.contains(name.substring(3))) {
                depth = Math.max(0, depth - 1);
            }
            int brackets = 0;
            for (String[] seg : segments(source.substring(tag[0] + 2, tag[1] - 2))) {
                if (seg[1] != null) {
                    continue;
                }
                for (int i = 0; i < seg[0].length(); i++) {
                    char c = seg[0].charAt(i);
                    if (c == '(' || c == '[' || c == '{') {
                        max = Math.max(max, ++brackets);
                    } else if (c == ')' || c == ']' || c == '}') {
                        brackets = Math.max(0, brackets - 1);
                    }
                }
            }
        }
        return max;
    }

    /** Statements that open a block closed by {@code end<name>}. */
    private static final Set<String> BLOCKS =
            Set.of("if", "for", "macro", "call", "filter", "set", "raw", "block", "autoescape", "unless",
                    "ifchanged");

    private static String statementName(String source, int[] tag) {
        if (!source.startsWith("{%", tag[0])) {
            return null;
        }
        Matcher m = STATEMENT.matcher(source).region(tag[0] + 2, tag[1]);
        return m.lookingAt() ? m.group(1) : null;
    }

    /**
     * The [start, end) spans of the template's tags, {@code {{ ... }}} and {@code {% ... %}}, found as
     * the regex {@code \{\{.*?\}\}|\{%.*?%\}} would, but in one linear pass: a regex retries every
     * unclosed opener to the end of the source, which is quadratic in a hostile template.
     */
    static List<int[]> tags(String source) {
        List<int[]> tags = new ArrayList<>();
        boolean expressionsClose = true;
        boolean statementsClose = true;
        int from = 0;
        while (from < source.length()) {
            int expression = expressionsClose ? source.indexOf("{{", from) : -1;
            int statement = statementsClose ? source.indexOf("{%", from) : -1;
            if (expression < 0 && statement < 0) {
                break;
            }
            boolean isExpression = statement < 0 || expression >= 0 && expression < statement;
            int start = isExpression ? expression : statement;
            int close = source.indexOf(isExpression ? "}}" : "%}", start + 2);
            if (close < 0) {
                // No closer after this opener means none after any later opener of this kind either.
                if (isExpression) {
                    expressionsClose = false;
                } else {
                    statementsClose = false;
                }
                continue;
            }
            tags.add(new int[] {start, close + 2});
            from = close + 2;
        }
        return tags;
    }

    /**
     * Splits a tag into code and string-literal segments: {text, null} for code, {text, "lit"}
     * for a quoted literal (quotes included), so '<|im_start|>' is not mistaken for a filter.
     */
    private static List<String[]> segments(String tag) {
        List<String[]> segs = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < tag.length()) {
            char c = tag.charAt(i);
            if (c == '\'' || c == '"') {
                if (i > start) {
                    segs.add(new String[] {tag.substring(start, i), null});
                }
                int j = i + 1;
                while (j < tag.length() && tag.charAt(j) != c) {
                    j += tag.charAt(j) == '\\' ? 2 : 1;
                }
                int end = Math.min(j + 1, tag.length());
                segs.add(new String[] {tag.substring(i, end), "lit"});
                start = end;
                i = end;
            } else {
                i++;
            }
        }
        if (start < tag.length()) {
            segs.add(new String[] {tag.substring(start), null});
        }
        return segs;
    }

    private static String parenthesiseNamespaceArgs(String s) {
        StringBuilder out = new StringBuilder();
        Matcher m = NAMESPACE_CALL.matcher(s);
        int copied = 0;
        while (copied < s.length() && m.find(copied)) {
            int open = m.end(); // just after '('
            int close = matchingParen(s, open);
            if (close < 0) {
                break; // unbalanced: leave it for the parser to report
            }
            out.append(s, copied, open);
            List<String> args = splitTopLevel(s.substring(open, close));
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                Matcher kw = KEYWORD_ARG.matcher(arg);
                if (kw.matches() && !kw.group(2).isBlank()) {
                    arg = kw.group(1) + "(" + kw.group(2).strip() + ")";
                }
                out.append(i == 0 ? "" : ",").append(arg);
            }
            out.append(')');
            copied = close + 1;
        }
        return out.append(s.substring(copied)).toString();
    }

    /** Index of the ')' closing a call whose arguments start at {@code from}, or -1. */
    private static int matchingParen(String s, int from) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return c == ')' ? i : -1;
                }
                depth--;
            }
        }
        return -1;
    }

    /** Splits call arguments on commas outside brackets and string literals. */
    private static List<String> splitTopLevel(String args) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        char quote = 0;
        int start = 0;
        for (int i = 0; i < args.length(); i++) {
            char c = args.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(args.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(args.substring(start));
        return parts;
    }
}
