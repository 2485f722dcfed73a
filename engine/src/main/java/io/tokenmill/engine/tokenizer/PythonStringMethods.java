package io.tokenmill.engine.tokenizer;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Gives template strings the Python {@code str} methods HF chat templates call ({@code
 * content.startswith('<tool_response>')}, {@code content.split('</think>')[-1].lstrip('\n')},
 * ...). Jinjava evaluates such calls as Java method calls on {@link String}, where they either do
 * not exist (startswith, strip, lstrip, ...) or mean something else ({@code split} takes a regex
 * and drops trailing empty strings). Installed by {@link ChatTemplate} in front of jinjava's own
 * resolver; any other call falls through to it. Stateless, hence thread-safe.
 */
final class PythonStringMethods extends ELResolver {

    private static final Set<String> METHODS =
            Set.of(
                    "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "upper",
                    "lower", "title", "capitalize", "replace", "find", "join");

    @Override
    public Object invoke(
            ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) {
            return null;
        }
        if (!METHODS.contains(name)) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result = call(s, name, p);
        context.setPropertyResolved(true);
        return result;
    }

    private static Object call(String s, String name, Object[] p) {
        switch (name) {
            case "startswith":
                return anyMatch(p[0], s::startsWith);
            case "endswith":
                return anyMatch(p[0], s::endsWith);
            case "strip":
                return rstrip(lstrip(s, arg(p, 0)), arg(p, 0));
            case "lstrip":
                return lstrip(s, arg(p, 0));
            case "rstrip":
                return rstrip(s, arg(p, 0));
            case "split":
                return split(s, arg(p, 0), p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "upper":
                return s.toUpperCase(Locale.ROOT);
            case "lower":
                return s.toLowerCase(Locale.ROOT);
            case "title":
                return title(s);
            case "capitalize":
                return s.isEmpty()
                        ? s
                        : s.substring(0, 1).toUpperCase(Locale.ROOT)
                                + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace":
                return replace(s, str(p[0]), str(p[1]), p.length > 2 ? ((Number) p[2]).intValue() : -1);
            case "find":
                return (long) s.indexOf(str(p[0]));
            case "join":
                return join(s, p[0]);
            default:
                throw new IllegalStateException(name);
        }
    }

    private interface Test {
        boolean test(String x);
    }

    /** Python accepts a tuple of prefixes/suffixes; templates pass a list. */
    private static boolean anyMatch(Object arg, Test test) {
        if (arg instanceof Collection<?> c) {
            for (Object o : c) {
                if (test.test(str(o))) {
                    return true;
                }
            }
            return false;
        }
        return test.test(str(arg));
    }

    private static String arg(Object[] p, int i) {
        return p.length > i && p[i] != null ? str(p[i]) : null;
    }

    private static String str(Object o) {
        return String.valueOf(o);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strippable(s.charAt(j - 1), chars)) {
            j--;
        }
        return s.substring(0, j);
    }

    /** Python str.split: literal separator, empty pieces kept; no separator splits on whitespace runs. */
    private static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && strippable(s.charAt(i), null)) {
                    i++;
                }
                if (i >= n) {
                    return out;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(rstrip(s.substring(i), null));
                    return out;
                }
                int j = i;
                while (j < n && !strippable(s.charAt(j), null)) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("split: empty separator");
        }
        int start = 0;
        int idx;
        while ((maxSplit < 0 || out.size() < maxSplit) && (idx = s.indexOf(sep, start)) >= 0) {
            out.add(s.substring(start, idx));
            start = idx + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    private static String replace(String s, String old, String rep, int count) {
        if (rep.length() > old.length()) {
            // Checked before building: 'x'.replace('', big) or a long replacement must not allocate first.
            long hits = old.isEmpty() ? s.length() + 1L : occurrences(s, old);
            long n = count < 0 ? hits : Math.min(hits, count);
            RenderGuard.checkLength(s.length() + n * (rep.length() - old.length()), "str.replace()");
        }
        if (count < 0) {
            return s.replace(old, rep);
        }
        StringBuilder b = new StringBuilder();
        int start = 0;
        int idx;
        for (int n = 0; n < count && !old.isEmpty() && (idx = s.indexOf(old, start)) >= 0; n++) {
            b.append(s, start, idx).append(rep);
            start = idx + old.length();
        }
        return b.append(s.substring(start)).toString();
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }

    private static long occurrences(String s, String sub) {
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        long length = 0;
        if (items instanceof Iterable<?> it) {
            for (Object o : it) {
                String part = str(o);
                length += part.length() + (parts.isEmpty() ? 0 : sep.length());
                RenderGuard.checkLength(length, "str.join()");
                parts.add(part);
            }
        } else {
            parts.add(str(items));
        }
        return String.join(sep, parts);
    }

    // Property access is not ours: report "not resolved" so jinjava's resolver handles it.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
