package io.tokenmill.udfs.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code boxed}: the content of the last complete {@code \boxed{...}} (or {@code \fbox{...}}), trimmed,
 * with nested braces kept ({@code \boxed{\frac{1}{2}}} gives {@code \frac{1}{2}}). Escaped braces
 * {@code \{ \}} do not count as grouping. A box cut off before its closing brace (a truncated answer)
 * and an empty box (an echo of the instructions' {@code \boxed{}}) are skipped in favour of an earlier one.
 */
public final class BoxedExtractor implements Extractor {

  private static final Pattern OPENING = Pattern.compile("\\\\(?:boxed|fbox)\\s*\\{");

  @Override
  public String extract(String answer) {
    if (answer == null) return null;
    List<Integer> contentStarts = new ArrayList<>();
    Matcher m = OPENING.matcher(answer);
    while (m.find()) contentStarts.add(m.end());
    for (int i = contentStarts.size() - 1; i >= 0; i--) {
      int start = contentStarts.get(i);
      int end = closingBrace(answer, start);
      String content = end < 0 ? "" : answer.substring(start, end).trim();
      if (!content.isEmpty()) return content;
    }
    return null;
  }

  /** Index of the brace closing the group whose content starts at {@code from}, or -1. */
  private static int closingBrace(String text, int from) {
    int depth = 1;
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        i++; // an escaped character, e.g. \{ or \}, never groups
      } else if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }
}
