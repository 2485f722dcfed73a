package io.tokenmill.engine.tokenizer;

import java.lang.management.ManagementFactory;

/**
 * The limits of one chat-template render, enforced from inside jinjava: {@link ChatTemplate} installs a
 * guard on the rendering thread, jinjava calls {@link #onNode} before rendering every template node (tag,
 * expression, text), and the sandbox's resolver, filters and string methods report what they refuse. The
 * first violation is sticky: every later node fails at once, so jinjava cannot carry on after catching it,
 * and the render reports that violation. Without a guard installed (parsing), everything is allowed.
 *
 * <p>Limits per render: {@link #MAX_NODES} node renders, {@link #MAX_MILLIS} of wall time, and the bytes
 * the rendering thread allocates ({@link #MAX_ALLOCATED_BYTES} plus {@link #ALLOCATED_BYTES_PER_INPUT_CHAR}
 * per character of the conversation). Loops that never end, strings or lists that double, and big values
 * copied many times all hit one of these long before the heap is in danger.
 */
final class RenderGuard {

    static final long MAX_NODES = 2_000_000;
    static final long MAX_MILLIS = 5_000;
    static final long MAX_ALLOCATED_BYTES = 512L << 20;
    static final long ALLOCATED_BYTES_PER_INPUT_CHAR = 128;

    private static final ThreadLocal<RenderGuard> CURRENT = new ThreadLocal<>();
    private static final com.sun.management.ThreadMXBean THREADS = threadBean();

    private final long maxChars;
    private final long deadlineNanos;
    private final long allocationLimit;
    private long nodes;
    private String violation;

    private RenderGuard(long inputChars, long maxChars) {
        this.maxChars = maxChars;
        this.deadlineNanos = System.nanoTime() + MAX_MILLIS * 1_000_000;
        long start = allocatedBytes();
        this.allocationLimit = start < 0 ? Long.MAX_VALUE
                : start + MAX_ALLOCATED_BYTES + ALLOCATED_BYTES_PER_INPUT_CHAR * inputChars;
    }

    /** Thrown to stop a render; carries the message the user sees. */
    static final class LimitExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LimitExceeded(String message) {
            super(message, null, false, false);
        }
    }

    /** Installs a guard on this thread for one render; close it (try-with-resources) when done. */
    static Scope begin(long inputChars, long maxChars) {
        RenderGuard guard = new RenderGuard(inputChars, maxChars);
        RenderGuard previous = CURRENT.get();
        CURRENT.set(guard);
        return new Scope(guard, previous);
    }

    /** The installed guard for the duration of one render. */
    static final class Scope implements AutoCloseable {
        private final RenderGuard guard;
        private final RenderGuard previous;

        private Scope(RenderGuard guard, RenderGuard previous) {
            this.guard = guard;
            this.previous = previous;
        }

        /** The first limit the render broke, or null. */
        String violation() {
            return guard.violation;
        }

        @Override
        public void close() {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    /** Called by jinjava before every node it renders. */
    static void onNode() {
        RenderGuard g = CURRENT.get();
        if (g == null) {
            return;
        }
        if (g.violation != null) {
            throw new LimitExceeded(g.violation);
        }
        if (++g.nodes > MAX_NODES) {
            refuse("chat template rendered more than " + MAX_NODES + " template nodes (a loop that does not end?)");
        }
        if (System.nanoTime() - g.deadlineNanos > 0) {
            refuse("chat template did not finish rendering within " + MAX_MILLIS + " ms (a loop that does not end?)");
        }
        if (allocatedBytes() > g.allocationLimit) {
            refuse("chat template allocated more than " + (g.allocationLimit >> 20) + " MiB while rendering"
                    + " (a value that keeps growing?)");
        }
    }

    /** Refuses a string (or other output) of {@code chars} characters beyond the render's output limit. */
    static void checkLength(long chars, String what) {
        RenderGuard g = CURRENT.get();
        long max = g == null ? ChatTemplate.MIN_OUTPUT_CHARS : g.maxChars;
        if (chars > max) {
            refuse("chat template " + what + " would make a string of " + chars + " characters; the limit is " + max);
        }
    }

    /** Records a violation (the first one sticks) and stops the render. */
    static LimitExceeded refuse(String message) {
        RenderGuard g = CURRENT.get();
        if (g != null && g.violation == null) {
            g.violation = message;
        }
        throw new LimitExceeded(g == null || g.violation == null ? message : g.violation);
    }

    private static long allocatedBytes() {
        return THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes();
    }

    private static com.sun.management.ThreadMXBean threadBean() {
        try {
            if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                    && t.isThreadAllocatedMemorySupported()
                    && t.isThreadAllocatedMemoryEnabled()) {
                return t;
            }
        } catch (RuntimeException | LinkageError e) {
            // no allocation accounting on this JVM: the node, time and size limits still hold
        }
        return null;
    }
}
