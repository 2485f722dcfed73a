package io.tokenmill.engine.tokenizer;

import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.util.ForLoop;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps chat templates away from Java: jinjava would otherwise let {@code x.name(...)} call any public
 * Java method of the value ({@code 'x'.repeat(2000000000)}) and {@code x.name} read any bean getter
 * ({@code content.bytes}). Installed by {@link ChatTemplate} after {@link PythonStringMethods} and before
 * jinjava's own resolver. Allowed: the Python list and dict methods HF templates call, on lists and
 * dicts, {@code loop.cycle}, and jinjava's own calls of filters and tests; attribute reads on dicts,
 * lists and {@code loop}. Any other method call
 * stops the render with a message naming it; any other attribute read is undefined, as in Jinja2.
 */
final class SandboxedAccess extends ELResolver {

    private static final Set<String> LIST_METHODS =
            Set.of("append", "extend", "insert", "pop", "remove", "index", "count", "copy", "reverse",
                    "sort", "clear");
    private static final Set<String> DICT_METHODS =
            Set.of("items", "keys", "values", "get", "update", "pop", "copy", "setdefault", "clear");

    @Override
    public Object invoke(
            ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (base == null || !(method instanceof String name)) {
            return null;
        }
        boolean allowed =
                base instanceof List<?> && LIST_METHODS.contains(name)
                        || base instanceof Map<?, ?> && DICT_METHODS.contains(name)
                        || base instanceof ForLoop && name.equals("cycle")
                        // how jinjava itself applies {{ x|f }} and {% if x is t %}
                        || base instanceof Filter && name.equals("filter")
                        || base instanceof ExpTest && (name.equals("evaluate") || name.equals("evaluateNegated"));
        if (!allowed) {
            throw RenderGuard.refuse(
                    "chat template calls " + name + "() on a " + kind(base)
                            + ", which is not available to chat templates");
        }
        return null; // jinjava's resolver performs the call
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base == null || base instanceof Map<?, ?> || base instanceof List<?>
                || base instanceof ForLoop || base.getClass().isArray()) {
            return null; // variables, dict keys, list items, loop.index: jinjava's resolver
        }
        if (property instanceof String) {
            context.setPropertyResolved(true); // an attribute of a str, number, ...: undefined
        }
        return null;
    }

    private static String kind(Object base) {
        if (base instanceof String) return "str";
        if (base instanceof List<?>) return "list";
        if (base instanceof Map<?, ?>) return "dict";
        if (base instanceof Number) return "number";
        if (base instanceof Boolean) return "bool";
        return "value";
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
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
