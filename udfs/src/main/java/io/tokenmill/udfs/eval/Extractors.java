package io.tokenmill.udfs.eval;

import io.tokenmill.udfs.eval.seating.SeatingExtractor;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The extractors by their {@code eval.extractor} spec: a name, or {@code regex:<pattern>}. {@code auto}
 * means the paired verifier's natural extractor ({@link Verifier#defaultExtractor()}); alone (as in
 * {@code tm_extract}) it is the last box, else the last number.
 */
public final class Extractors {

  /** The prefix of a regular-expression spec; the pattern follows verbatim. */
  public static final String REGEX_PREFIX = "regex:";

  private static final Map<String, Supplier<Extractor>> BY_NAME = new LinkedHashMap<>();

  static {
    BY_NAME.put("boxed", BoxedExtractor::new);
    BY_NAME.put("last_number", LastNumberExtractor::new);
    BY_NAME.put("choice", ChoiceExtractor::new);
    BY_NAME.put("json", JsonExtractor::new);
    BY_NAME.put("seating", SeatingExtractor::new);
    BY_NAME.put("none", WholeAnswerExtractor::new);
  }

  private Extractors() {}

  /** The accepted names (besides {@code auto} and {@code regex:<pattern>}). */
  public static Set<String> names() {
    return BY_NAME.keySet();
  }

  /** The extractor for {@code spec} on its own ({@code auto} = last box, else last number). */
  public static Extractor of(String spec) {
    return of(spec, new AutoVerifier());
  }

  /**
   * The extractor for {@code spec} when paired with {@code verifier}; a null spec means {@code auto}.
   *
   * @throws IllegalArgumentException naming the bad spec and the allowed values
   */
  public static Extractor of(String spec, Verifier verifier) {
    if (spec != null && spec.trim().regionMatches(true, 0, REGEX_PREFIX, 0, REGEX_PREFIX.length())) {
      String regex = spec.trim().substring(REGEX_PREFIX.length());
      if (regex.isEmpty()) throw new IllegalArgumentException("eval.extractor regex: needs a pattern after the colon");
      return new RegexExtractor(regex);
    }
    String name = spec == null ? "auto" : spec.trim().toLowerCase(Locale.ROOT);
    if (name.equals("auto")) return verifier.defaultExtractor();
    Supplier<Extractor> extractor = BY_NAME.get(name);
    if (extractor == null) {
      throw new IllegalArgumentException("eval.extractor '" + spec + "' is not one of auto, "
          + String.join(", ", names()) + ", " + REGEX_PREFIX + "<pattern>");
    }
    return extractor.get();
  }
}
