package io.tokenmill.udfs.eval;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code choice}: a multiple-choice letter A–J, returned upper-case. Forms are tried from most to least
 * explicit, and within a form the last occurrence wins (models restate options before concluding):
 *
 * <ol>
 *   <li>labelled: {@code Answer: C}, {@code the answer is (B)}, {@code Final answer: **D**},
 *       {@code the correct option is A};
 *   <li>boxed: {@code \boxed{B}}, {@code \boxed{\text{(B)}}};
 *   <li>a line holding only the letter: {@code B}, {@code (B)}, {@code **B.**};
 *   <li>a letter in parentheses or opening a line: {@code (B)}, {@code B.}, {@code B)}, {@code B:}.
 * </ol>
 *
 * Only capital letters count outside a box, so the article "a" is never read as option A; "I" is
 * skipped when it starts a clause ("Answer: I think...").
 */
public final class ChoiceExtractor implements Extractor {

  private static final String LETTER = "(?!I\\s+[a-z'])([A-J])(?![\\w'])";
  private static final Pattern LABELLED =
      Pattern.compile(
          "\\b(?i:answer|(?:correct|right|best) (?:option|choice))\\b"
              + "(?:\\s*(?:(?i:is|would be|should be)\\b|[:=*\\-]))*\\s*"
              + "(?:(?i:option|choice)\\s+)?[(\\[*]*\\s*"
              + LETTER);
  private static final Pattern ALONE_ON_LINE =
      Pattern.compile("(?m)^[\\s*]*\\(?" + LETTER + "\\)?\\.?[\\s*]*$");
  private static final Pattern MARKED =
      Pattern.compile("\\(" + LETTER + "\\)|(?m)^[\\s*]*" + LETTER + "[.):]");
  private static final Pattern BOX_LETTER =
      Pattern.compile("\\(?\\s*([A-Ja-j])\\s*\\)?\\.?");
  private static final BoxedExtractor BOXED = new BoxedExtractor();
  private static final Pattern LATEX_TEXT = Pattern.compile("\\\\(?:text|textbf|mathrm|mathbf)\\{([^{}]*)\\}");

  @Override
  public String extract(String answer) {
    if (answer == null) return null;
    String labelled = lastLetter(LABELLED, answer);
    if (labelled != null) return labelled;
    String boxed = letterOf(BOXED.extract(answer));
    if (boxed != null) return boxed;
    for (Pattern form : List.of(ALONE_ON_LINE, MARKED)) {
      String letter = lastLetter(form, answer);
      if (letter != null) return letter;
    }
    return null;
  }

  /**
   * The letter that a short text names — {@code B}, {@code b}, {@code (B)}, {@code B.},
   * {@code \text{B}} — or null. Used for box contents and references.
   */
  static String letterOf(String text) {
    if (text == null) return null;
    String s = Numbers.stripMath(text.trim());
    Matcher latex = LATEX_TEXT.matcher(s);
    if (latex.matches()) s = latex.group(1).trim();
    Matcher m = BOX_LETTER.matcher(s);
    return m.matches() ? m.group(1).toUpperCase(Locale.ROOT) : null;
  }

  private static String lastLetter(Pattern form, String text) {
    Matcher m = form.matcher(text);
    String last = null;
    while (m.find()) {
      for (int g = 1; g <= m.groupCount(); g++) {
        if (m.group(g) != null) last = m.group(g);
      }
    }
    return last;
  }
}
