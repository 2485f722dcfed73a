package io.tokenmill.udfs.eval.seating;

import io.tokenmill.udfs.eval.BoxedExtractor;
import io.tokenmill.udfs.eval.Extractor;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code seating}: the seating the answer ends on, as {@code Name, Name, Name}. Looks, in order, for
 * the last line labelled {@code Seating:} (the format the prompts ask for; the names may also follow on
 * the next lines, one per line), the last {@code \boxed{...}}, and the last line that looks like a
 * list. Null when none holds at least two names. Names are not checked here (the extractor does not
 * see the reference); the {@code seating} verifier matches them to the guests.
 */
public final class SeatingExtractor implements Extractor {

  private static final BoxedExtractor BOXED = new BoxedExtractor();
  private static final Pattern LABEL = Pattern.compile("(?i)\\bseating\\b[\\s*_]*[:\uFF1A]");

  @Override
  public String extract(String answer) {
    if (answer == null) return null;
    String[] lines = answer.split("\\R");
    for (String candidate : new String[] {labelled(lines), BOXED.extract(answer), lastList(lines)}) {
      if (candidate == null) continue;
      List<String> names = SeatingList.names(candidate);
      if (names.size() >= 2) return String.join(", ", names);
    }
    return null;
  }

  /** After the last {@code Seating:} label: the rest of its line, or else the lines below it. */
  private static String labelled(String[] lines) {
    for (int i = lines.length - 1; i >= 0; i--) {
      Matcher m = LABEL.matcher(lines[i]);
      int end = -1;
      while (m.find()) end = m.end();
      if (end < 0) continue;
      String rest = lines[i].substring(end);
      if (!rest.isBlank()) return rest;
      StringBuilder below = new StringBuilder();
      for (int j = i + 1; j < lines.length && !lines[j].isBlank(); j++) below.append(lines[j]).append(',');
      return below.toString();
    }
    return null;
  }

  private static String lastList(String[] lines) {
    for (int i = lines.length - 1; i >= 0; i--) {
      if (SeatingList.hasSeparator(lines[i])) return lines[i];
    }
    return null;
  }
}
