package io.tokenmill.engine.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.lang.reflect.Array;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * What HF's chat-template environment defines and jinjava lacks or does differently: the global
 * functions {@code raise_exception(msg)} and {@code strftime_now(fmt)}, and a {@code tojson}
 * filter that prints like HF's ({@code json.dumps} separators {@code ", "} and {@code ": "},
 * non-ASCII kept, optional {@code indent}); jinjava's own prints compact JSON, which would change
 * tool-calling prompts. Registered by {@link ChatTemplate}. Source rewrites live in {@link
 * TemplateSource}, Python string methods in {@link PythonStringMethods}.
 */
final class JinjaCompat {

    private JinjaCompat() {}

    /** Thrown by {@code raise_exception}; {@link ChatTemplate} finds it in jinjava's error causes. */
    static final class RaisedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RaisedException(String message) {
            super(message);
        }
    }

    /** HF's {@code raise_exception(message)}: the template rejects its input. */
    public static String raiseException(Object message) {
        throw new RaisedException(String.valueOf(message));
    }

    /**
     * HF's {@code strftime_now(format)}: the local date/time formatted with Python strftime
     * directives (English names, like Python's C locale). Glibc's {@code %-d} style
     * (no padding) is accepted too because Llama templates use it in the wild.
     */
    public static String strftimeNow(String format) {
        return strftime(format, LocalDateTime.now());
    }

    static String strftime(String format, LocalDateTime t) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean unpadded = false;
            if (d == '-' && i + 1 < format.length()) {
                unpadded = true;
                d = format.charAt(++i);
            }
            String pattern;
            switch (d) {
                case '%':
                    out.append('%');
                    continue;
                case 'd': pattern = "dd"; break;
                case 'm': pattern = "MM"; break;
                case 'Y': pattern = "uuuu"; break;
                case 'y': pattern = "uu"; break;
                case 'H': pattern = "HH"; break;
                case 'I': pattern = "hh"; break;
                case 'M': pattern = "mm"; break;
                case 'S': pattern = "ss"; break;
                case 'p': pattern = "a"; break;
                case 'b': pattern = "MMM"; break;
                case 'B': pattern = "MMMM"; break;
                case 'a': pattern = "EEE"; break;
                case 'A': pattern = "EEEE"; break;
                case 'j': pattern = "DDD"; break;
                default:
                    throw new IllegalArgumentException(
                            "strftime_now: unsupported directive %" + d + " in '" + format + "'");
            }
            if (unpadded && pattern.length() == 2 && pattern.charAt(0) == pattern.charAt(1)) {
                pattern = pattern.substring(1);
            }
            out.append(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(t));
        }
        return out.toString();
    }

    /** HF's {@code tojson}: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null;
            return toJson(var, indent);
        }

        @Override
        public Object filter(
                Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return toJson(var, indent == null ? null : ((Number) indent).intValue());
        }
    }

    static String toJson(Object value, Integer indent) {
        StringBuilder out = new StringBuilder();
        writeJson(out, value, indent, 0);
        return out.toString();
    }

    private static void writeJson(StringBuilder out, Object v, Integer indent, int depth) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean || v instanceof Number) {
            out.append(v);
        } else if (v instanceof Map<?, ?> map) {
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            writeContainer(out, '{', '}', it.hasNext(), indent, depth, () -> {
                Map.Entry<?, ?> e = it.next();
                writeString(out, String.valueOf(e.getKey()));
                out.append(": ");
                writeJson(out, e.getValue(), indent, depth + 1);
                return it.hasNext();
            });
        } else if (v instanceof Iterable<?> iterable) {
            Iterator<?> it = iterable.iterator();
            writeContainer(out, '[', ']', it.hasNext(), indent, depth, () -> {
                writeJson(out, it.next(), indent, depth + 1);
                return it.hasNext();
            });
        } else if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            int[] i = {0};
            writeContainer(out, '[', ']', n > 0, indent, depth, () -> {
                writeJson(out, Array.get(v, i[0]++), indent, depth + 1);
                return i[0] < n;
            });
        } else {
            writeString(out, String.valueOf(v));
        }
    }

    private interface Item {
        /** Writes one item; returns whether another follows. */
        boolean write();
    }

    private static void writeContainer(
            StringBuilder out, char open, char close, boolean any, Integer indent, int depth, Item item) {
        out.append(open);
        if (any) {
            boolean more = true;
            while (more) {
                if (indent != null) {
                    out.append('\n').append(" ".repeat(indent * (depth + 1)));
                }
                more = item.write();
                if (more) {
                    out.append(indent == null ? ", " : ",");
                }
            }
            if (indent != null) {
                out.append('\n').append(" ".repeat(indent * depth));
            }
        }
        out.append(close);
    }

    private static void writeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
