package io.tokenmill.udfs.eval;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code regex:<pattern>}: the last match of a Java regular expression, as its group 1 when the pattern
 * has a capturing group, else the whole match; trimmed. Null when nothing matches or group 1 took no
 * part in the last match. The pattern is used as written (add {@code (?i)} for case-insensitivity).
 */
public final class RegexExtractor implements Extractor {

  private final Pattern pattern;

  /** @throws IllegalArgumentException naming the pattern when it does not compile */
  public RegexExtractor(String regex) {
    try {
      this.pattern = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "eval.extractor regex:" + regex + " is not a valid Java regular expression: "
              + e.getDescription(), e);
    }
  }

  @Override
  public String extract(String answer) {
    if (answer == null) return null;
    Matcher m = pattern.matcher(answer);
    String last = null;
    boolean found = false;
    while (m.find()) {
      found = true;
      last = m.groupCount() >= 1 ? m.group(1) : m.group();
    }
    return found && last != null ? last.trim() : null;
  }
}
