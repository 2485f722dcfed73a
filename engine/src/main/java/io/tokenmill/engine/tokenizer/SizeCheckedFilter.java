package io.tokenmill.engine.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A jinjava filter whose arguments size what it builds ({@code center(width)}, {@code indent(width)},
 * {@code batch(n)}, {@code slice(n)}, and the widths inside a {@code format} string), refusing sizes past
 * {@link #MAX_SIZE_ARGUMENT} before the filter allocates anything: {@code 'x'|center(2000000000)} would
 * otherwise build a 2-billion-character string in one call, before any other limit can look. Registered
 * by {@link ChatTemplate} in place of jinjava's own filters of the same names.
 */
final class SizeCheckedFilter implements Filter {

    /** Widths and counts real templates use are tiny (indent(4), batch(3)). */
    static final int MAX_SIZE_ARGUMENT = 10_000;

    /** Filter names whose numeric arguments are sizes. */
    static final String[] SIZED = {"center", "indent", "batch", "slice", "format"};

    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
    private static final Pattern FORMAT_WIDTH = Pattern.compile("%[-#+ 0,(<]*(\\d*)(?:\\.(\\d+))?");

    private final Filter inner;

    SizeCheckedFilter(Filter inner) {
        this.inner = inner;
    }

    @Override
    public String getName() {
        return inner.getName();
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        check(var, args);
        return inner.filter(var, interpreter, args);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        check(var, args);
        check(var, kwargs.values().toArray());
        return inner.filter(var, interpreter, args, kwargs);
    }

    private void check(Object var, Object[] args) {
        if (getName().equals("format") && var != null) {
            Matcher m = FORMAT_WIDTH.matcher(String.valueOf(var));
            while (m.find()) {
                checkSize(m.group(1));
                checkSize(m.group(2));
            }
            return;
        }
        for (Object a : args) {
            if (a instanceof Number || a != null && NUMBER.matcher(a.toString()).matches()) {
                checkSize(a.toString());
            }
        }
    }

    private void checkSize(String number) {
        if (number == null || number.isEmpty()) {
            return;
        }
        double size = Math.abs(Double.parseDouble(number));
        if (size > MAX_SIZE_ARGUMENT) {
            throw RenderGuard.refuse("chat template calls filter '" + getName() + "' with size " + number
                    + "; the limit is " + MAX_SIZE_ARGUMENT);
        }
    }
}
