package io.tokenmill.udfs.eval.seating;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a written seating — {@code Alice, Bob, and Carol.}, {@code 1. Alice; 2. Bob; 3. Carol},
 * {@code **Alice** → Bob → Carol}, {@code Alice - Bob - Carol (seat 3)} — into bare names in order.
 * Used by both the seating extractor (to canonicalise) and the verifier (to read what it is given).
 */
final class SeatingList {

  private static final Pattern SEPARATOR =
      Pattern.compile("(?i)\\s*(?:[,;|\u2192]|->|=>|\\s[-\u2013\u2014]\\s|\\band\\b)\\s*");
  private static final Pattern PARENTHETICAL = Pattern.compile("\\([^)]*\\)|\\[[^]]*]");
  private static final Pattern SEAT_LABEL = Pattern.compile("(?i)^\\W*(?:seat|position)\\s*\\d+\\s*");
  private static final Pattern EDGE_NON_LETTERS = Pattern.compile("^[^\\p{L}]+|[^\\p{L}]+$");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private SeatingList() {}

  /** Whether a line looks like a list of names (has a separator). */
  static boolean hasSeparator(String line) {
    return SEPARATOR.matcher(line).find();
  }

  /**
   * The names in order; blank items dropped. A single item of several words with no separator at all
   * ({@code Alice Bob Carol}) is read as space-separated names.
   */
  static List<String> names(String text) {
    List<String> names = new ArrayList<>();
    for (String item : SEPARATOR.split(text)) {
      String name = clean(item);
      if (!name.isEmpty()) names.add(name);
    }
    if (names.size() == 1 && !hasSeparator(text) && names.get(0).contains(" ")) {
      return Arrays.asList(WHITESPACE.split(names.get(0)));
    }
    return names;
  }

  private static String clean(String item) {
    String s = PARENTHETICAL.matcher(item).replaceAll(" ");
    s = SEAT_LABEL.matcher(s).replaceFirst("");
    s = EDGE_NON_LETTERS.matcher(s).replaceAll("");
    return WHITESPACE.matcher(s).replaceAll(" ");
  }
}
