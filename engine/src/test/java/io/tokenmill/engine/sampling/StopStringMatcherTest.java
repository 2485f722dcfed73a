package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Stop strings on streamed text: splits, overlaps, hold-back, unicode, chunking invariance. */
class StopStringMatcherTest {

  @Test
  void stopStringSplitAcrossTwoChunks() {
    StopStringMatcher m = new StopStringMatcher(List.of("</answer>"));
    StopStringMatcher.Result a = m.append("42 </ans");
    assertFalse(a.stopped());
    assertEquals("42 ", a.delta()); // "</ans" could still become the stop string: held back
    assertNull(a.finalText());
    StopStringMatcher.Result b = m.append("wer> trailing");
    assertTrue(b.stopped());
    assertEquals("</answer>", b.stopString());
    assertEquals("", b.delta());
    assertEquals("42 ", b.finalText());
    assertEquals("</answer>", m.stopString());
  }

  @Test
  void stopStringSplitAcrossThreeChunks() {
    StopStringMatcher m = new StopStringMatcher(List.of("STOP"));
    assertEquals("ab", m.append("abS").delta());
    assertEquals("", m.append("T").delta());
    StopStringMatcher.Result r = m.append("OPxyz");
    assertTrue(r.stopped());
    assertEquals("ab", r.finalText());
  }

  @Test
  void heldTextIsReleasedWhenItStopsMatching() {
    StopStringMatcher m = new StopStringMatcher(List.of("STOP"));
    assertEquals("a", m.append("aST").delta());
    assertEquals("STx", m.append("x").delta());
    assertEquals("S", m.append("SS").delta()); // the last S may still start "STOP"
    assertEquals("S", m.flush());
    assertEquals("aSTxSS", m.text());
    assertEquals("", m.flush());
  }

  @Test
  void earliestEndingOccurrenceWins() {
    // "ab" completes before "abc" could: stop at "ab".
    assertEquals("x", single(List.of("abc", "ab"), "xabcy").finalText());
    assertEquals("ab", single(List.of("abc", "ab"), "xabcy").stopString());
    // "cd" ends at 4, before "abcdef" ends at 6, though "abcdef" starts earlier.
    assertEquals("ab", single(List.of("abcdef", "cd"), "abcdefg").finalText());
    // Same end: the one starting first (longer) wins, so less text is kept.
    assertEquals("x", single(List.of("bc", "abc"), "xabcd").finalText());
    assertEquals("abc", single(List.of("bc", "abc"), "xabcd").stopString());
    // The first occurrence of a stop string is taken.
    assertEquals("1", single(List.of("--"), "1--2--3").finalText());
  }

  @Test
  void resultDoesNotDependOnChunking() {
    Random r = new Random(2);
    List<String> stops = List.of("abc", "bcd", "cc", "dab", "é\uD83D\uDE00");
    String alphabet = "abcdé\uD83D\uDE00";
    for (int trial = 0; trial < 2000; trial++) {
      StringBuilder sb = new StringBuilder();
      int len = r.nextInt(30);
      for (int i = 0; i < len; i++) {
        int c = r.nextInt(6);
        sb.append(c < 5 ? String.valueOf(alphabet.charAt(c)) : "\uD83D\uDE00");
      }
      String text = sb.toString();
      String whole = run(stops, List.of(text));
      for (int k = 0; k < 5; k++) assertEquals(whole, run(stops, randomSplit(r, text)), text);
      // Cross-check against the character-by-character rule.
      assertEquals(charByChar(stops, text), whole, text);
    }
  }

  @Test
  void stopAtTheVeryBeginning() {
    StopStringMatcher m = new StopStringMatcher(List.of("<|end|>"));
    StopStringMatcher.Result r = m.append("<|end|>more");
    assertTrue(r.stopped());
    assertEquals("", r.finalText());
    assertEquals("", r.delta());
    assertThrows(IllegalStateException.class, () -> m.append("x"));
    assertEquals("", m.flush());
  }

  @Test
  void noStopStringsStreamsEverything() {
    StopStringMatcher m = new StopStringMatcher(List.of());
    assertEquals("hello ", m.append("hello ").delta());
    assertEquals("world", m.append("world").delta());
    assertEquals("", m.flush());
    assertEquals("hello world", m.text());
    assertNull(m.stopString());
  }

  @Test
  void unicodeStopStringsAndSurrogates() {
    StopStringMatcher m = new StopStringMatcher(List.of("。\n", "\uD83D\uDED1"));
    assertEquals("答案", m.append("答案。").delta());
    StopStringMatcher.Result r = m.append("\n后");
    assertTrue(r.stopped());
    assertEquals("答案", r.finalText());
    // An emoji stop sign arriving as two separate UTF-16 halves is still found.
    StopStringMatcher e = new StopStringMatcher(List.of("\uD83D\uDED1"));
    assertEquals("go ", e.append("go \uD83D").delta());
    assertEquals("go ", e.append("\uDED1!").finalText());
    // A different emoji is released whole, never half of it.
    StopStringMatcher f = new StopStringMatcher(List.of("x"));
    assertEquals("a", f.append("a\uD83D").delta());
    assertEquals("\uD83D\uDE00", f.append("\uDE00").delta());
  }

  @Test
  void rejectsEmptyStopStrings() {
    assertThrows(IllegalArgumentException.class, () -> new StopStringMatcher(List.of("a", "")));
  }

  private static StopStringMatcher.Result single(List<String> stops, String text) {
    return new StopStringMatcher(stops).append(text);
  }

  /** Final text (or released text + "|open" if no stop) after feeding the chunks. */
  private static String run(List<String> stops, List<String> chunks) {
    StopStringMatcher m = new StopStringMatcher(stops);
    StringBuilder streamed = new StringBuilder();
    for (String c : chunks) {
      StopStringMatcher.Result r = m.append(c);
      streamed.append(r.delta());
      if (r.stopped()) {
        assertEquals(r.finalText(), streamed.toString());
        return r.finalText() + "|" + r.stopString();
      }
    }
    streamed.append(m.flush());
    assertEquals(m.text(), streamed.toString());
    return streamed + "|open";
  }

  /** The definition: stop as soon as the text so far ends with a stop string (longest first). */
  private static String charByChar(List<String> stops, String text) {
    for (int end = 1; end <= text.length(); end++) {
      String best = null;
      for (String s : stops) {
        if (text.startsWith(s, end - s.length()) && end >= s.length()
            && (best == null || s.length() > best.length())) {
          best = s;
        }
      }
      if (best != null) return text.substring(0, end - best.length()) + "|" + best;
    }
    return text + "|open";
  }

  private static List<String> randomSplit(Random r, String text) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      int j = Math.min(text.length(), i + 1 + r.nextInt(4));
      out.add(text.substring(i, j));
      i = j;
    }
    return out;
  }
}
