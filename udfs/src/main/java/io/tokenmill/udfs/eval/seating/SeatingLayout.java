package io.tokenmill.udfs.eval.seating;

import java.util.Locale;

/**
 * Where the guests sit. In a {@code row} seats run 1..n from left to right and the answer lists them
 * in that order. At a round {@code table} the answer lists guests clockwise from any guest, so only
 * constraints that survive rotation and reflection (next to / not next to) are allowed there.
 */
public enum SeatingLayout {
  ROW,
  TABLE;

  /** The name used in reference JSON. */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static SeatingLayout fromJson(String name) {
    for (SeatingLayout layout : values()) {
      if (layout.jsonName().equals(name)) return layout;
    }
    throw new IllegalArgumentException("seating reference: layout '" + name + "' is not row or table");
  }

  /** Whether seats {@code i} and {@code j} (0-based, of {@code n}) are neighbours. */
  boolean neighbours(int i, int j, int n) {
    int d = Math.abs(i - j);
    return d == 1 || (this == TABLE && n > 2 && d == n - 1);
  }
}
