package io.tokenmill.engine.tokenizer;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Incremental detokenizer for streaming generation: feed ids one at a time, get back only the
 * newly completed text. Used by the engine's streaming output path, one instance per sequence
 * (not thread-safe).
 *
 * <p>Why not decode each id alone: a byte-level token may hold part of a multi-byte UTF-8
 * character ("€" is three byte tokens), and decoding it alone yields U+FFFD. Instead we decode a
 * small window and emit only when the window no longer ends in U+FFFD, i.e. the last character is
 * complete; emitted text is the window's decoding minus that of its already-emitted prefix. The
 * window starts at the last emission point, so work per id stays constant. Text that genuinely
 * ends in U+FFFD (invalid bytes) is held until the next id or {@link #flush()}.
 */
public final class StreamDecoder {

    private static final char REPLACEMENT = '\uFFFD';

    private final Function<int[], String> decoder;
    private int[] window = new int[16];
    private int size;
    /** Ids in window[0, emitted) have been turned into text already. */
    private int emitted;

    /**
     * @param tokenizer decodes the ids
     * @param skipSpecial drop special tokens (not the think tags) from the text
     */
    public StreamDecoder(ModelTokenizer tokenizer, boolean skipSpecial) {
        this(ids -> tokenizer.decode(ids, skipSpecial));
    }

    StreamDecoder(Function<int[], String> decoder) {
        this.decoder = decoder;
    }

    /** Adds one generated id; returns the text it completes (often "", never a partial char). */
    public String accept(int id) {
        if (size == window.length) {
            window = Arrays.copyOf(window, size * 2);
        }
        window[size++] = id;
        String prefix = decoder.apply(Arrays.copyOf(window, emitted));
        String full = decoder.apply(Arrays.copyOf(window, size));
        if (full.length() <= prefix.length() || full.charAt(full.length() - 1) == REPLACEMENT) {
            return "";
        }
        String fresh = full.substring(prefix.length());
        // Keep the last emitted chunk as context: some decoders (SentencePiece) drop a leading
        // space at the start of a sequence, which would make "prefix" shorter than it really is.
        int keep = size - emitted;
        System.arraycopy(window, emitted, window, 0, keep);
        size = keep;
        emitted = keep;
        return fresh;
    }

    /** Returns whatever is held back (possibly ending in U+FFFD) and resets the decoder. */
    public String flush() {
        String prefix = decoder.apply(Arrays.copyOf(window, emitted));
        String full = decoder.apply(Arrays.copyOf(window, size));
        size = 0;
        emitted = 0;
        return full.length() > prefix.length() ? full.substring(prefix.length()) : "";
    }
}
