package io.tokenmill.udfs.eval;

import io.tokenmill.udfs.eval.seating.SeatingVerifier;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** The verifiers by their {@code eval.verifier} name. Adding one = one line here and one class. */
public final class Verifiers {

  private static final Map<String, Supplier<Verifier>> BY_NAME = new LinkedHashMap<>();

  static {
    BY_NAME.put("auto", AutoVerifier::new);
    BY_NAME.put("exact", ExactVerifier::new);
    BY_NAME.put("numeric", NumericVerifier::new);
    BY_NAME.put("choice", ChoiceVerifier::new);
    BY_NAME.put("json", JsonVerifier::new);
    BY_NAME.put("seating", SeatingVerifier::new);
  }

  private Verifiers() {}

  /** The accepted names, {@code auto} first. */
  public static Set<String> names() {
    return BY_NAME.keySet();
  }

  /**
   * The verifier called {@code name} (case and surrounding blanks ignored; null means {@code auto}).
   *
   * @throws IllegalArgumentException naming the bad value and the allowed ones
   */
  public static Verifier of(String name) {
    Supplier<Verifier> verifier = BY_NAME.get(name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT));
    if (verifier == null) {
      throw new IllegalArgumentException(
          "eval.verifier '" + name + "' is not one of " + String.join(", ", names()));
    }
    return verifier.get();
  }
}
