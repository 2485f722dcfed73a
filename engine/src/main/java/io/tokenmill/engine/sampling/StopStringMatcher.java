package io.tokenmill.engine.sampling;

import java.util.List;

/**
 * Finds the user's stop strings in a sequence's decoded TEXT as it streams, and says how much text
 * is safe to release. The generation loop feeds it each new piece of detokenized text (one per step)
 * and stops the sequence when a stop string is found. One instance per sequence; not thread-safe.
 *
 * <p>Why text, not tokens: a stop string can be split across tokens ("&lt;/" + "answer&gt;"), be a
 * part of one token, or tokenize differently in context; matching the concatenated text finds it
 * wherever token boundaries fall. Text still arrives in pieces, so a suffix that could be the start
 * of a stop string is held back until the next piece decides it.
 *
 * <p>Which occurrence wins: the one that ENDS first in the text; among those ending at the same
 * position, the one that starts first (the longest). With stops "ab" and "abc" on "xabcy" that is
 * "ab" (final text "x"); with "abc" and "bc" on "xabc", "abc" (final text "x"). This is what a
 * character-by-character stream would stop on, so the result never depends on how the text was
 * split into pieces (the tests check that), unlike "first listed stop found" rules.
 *
 * <p>Text is handled as UTF-16: the detokenizer is expected to deliver whole code points (it holds
 * incomplete UTF-8 bytes back); independently of that, a trailing high surrogate is never released
 * on its own, so released text never ends in half a character.
 */
public final class StopStringMatcher {

  /**
   * What one {@link #append} decided.
   *
   * @param stopped whether a stop string was found; if so the sequence is finished
   * @param stopString the stop string found, or null
   * @param delta text that is safe to stream now (when stopped: the rest up to the stop string)
   * @param finalText when stopped, the whole output text up to (excluding) the stop string; else null
   */
  public record Result(boolean stopped, String stopString, String delta, String finalText) {}

  private final String[] stops;
  private final int maxLength;
  private final StringBuilder released = new StringBuilder();
  private String held = "";
  private boolean finished;
  private String stopString;

  public StopStringMatcher(List<String> stopStrings) {
    stops = stopStrings.toArray(new String[0]);
    int max = 0;
    for (String s : stops) {
      if (s == null || s.isEmpty()) throw new IllegalArgumentException("stop strings must be non-empty");
      max = Math.max(max, s.length());
    }
    maxLength = max;
  }

  /** Adds the next piece of decoded text. */
  public Result append(String newText) {
    if (finished) throw new IllegalStateException("the matcher already stopped or was flushed");
    // Any occurrence not wholly inside newText starts within `held`: held is the longest suffix of
    // the text so far that is a proper prefix of some stop string.
    String buf = held.isEmpty() ? newText : held + newText;
    int bestStart = -1;
    int bestEnd = Integer.MAX_VALUE;
    String best = null;
    for (String s : stops) {
      int i = buf.indexOf(s); // the first occurrence of s is also its earliest-ending one
      if (i < 0) continue;
      int end = i + s.length();
      if (end < bestEnd || (end == bestEnd && i < bestStart)) {
        bestStart = i;
        bestEnd = end;
        best = s;
      }
    }
    if (best != null) {
      String delta = buf.substring(0, bestStart);
      released.append(delta);
      held = "";
      finished = true;
      stopString = best;
      return new Result(true, best, delta, released.toString());
    }
    int keep = buf.length() - holdBack(buf);
    if (keep > 0 && Character.isHighSurrogate(buf.charAt(keep - 1))) keep--;
    String delta = buf.substring(0, keep);
    held = buf.substring(keep);
    released.append(delta);
    return new Result(false, null, delta, null);
  }

  /** Ends the stream: returns the held-back text (no stop string can complete any more). */
  public String flush() {
    if (finished) return "";
    finished = true;
    String rest = held;
    released.append(rest);
    held = "";
    return rest;
  }

  /** All text released so far (after a stop or {@link #flush}: the complete output text). */
  public String text() {
    return released.toString();
  }

  /** The stop string that ended the text, or null if none (yet). */
  public String stopString() {
    return stopString;
  }

  /** Length of the longest suffix of buf that is a proper prefix of some stop string. */
  private int holdBack(String buf) {
    int n = buf.length();
    for (int len = Math.min(maxLength - 1, n); len > 0; len--) {
      for (String s : stops) {
        if (s.length() > len && buf.regionMatches(n - len, s, 0, len)) return len;
      }
    }
    return 0;
  }
}
