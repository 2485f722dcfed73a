package io.tokenmill.udfs.eval.seating;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One rule of a seating puzzle, about guest {@code a} and, depending on the kind, guest {@code b} or a
 * 1-based {@code seat}. Unused fields are null. Knows how to say itself in English and whether an
 * arrangement obeys it.
 */
public record SeatingConstraint(Kind kind, String a, String b, Integer seat) {

  /** The kinds of rule, with their JSON names. */
  public enum Kind {
    /** a sits next to b. */
    ADJACENT(true, false, Set.of(SeatingLayout.ROW, SeatingLayout.TABLE)),
    /** a does not sit next to b. */
    NOT_ADJACENT(true, false, Set.of(SeatingLayout.ROW, SeatingLayout.TABLE)),
    /** a sits in the first or last seat of the row. */
    AT_END(false, false, Set.of(SeatingLayout.ROW)),
    /** a sits in neither end seat of the row. */
    NOT_AT_END(false, false, Set.of(SeatingLayout.ROW)),
    /** a sits somewhere to the left of b (not necessarily next to). */
    LEFT_OF(true, false, Set.of(SeatingLayout.ROW)),
    /** a sits in seat number {@code seat}, counted from the left. */
    SEAT(false, true, Set.of(SeatingLayout.ROW));

    final boolean needsB;
    final boolean needsSeat;
    final Set<SeatingLayout> layouts;

    Kind(boolean needsB, boolean needsSeat, Set<SeatingLayout> layouts) {
      this.needsB = needsB;
      this.needsSeat = needsSeat;
      this.layouts = layouts;
    }

    /** The name used in reference JSON. */
    public String jsonName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Kind fromJson(String name) {
      for (Kind kind : values()) {
        if (kind.jsonName().equals(name)) return kind;
      }
      throw new IllegalArgumentException("seating reference: constraint type '" + name
          + "' is not one of adjacent, not_adjacent, at_end, not_at_end, left_of, seat");
    }
  }

  public SeatingConstraint {
    if (kind == null || a == null) throw new IllegalArgumentException("seating constraint needs a type and a");
    if (kind.needsB != (b != null)) {
      throw new IllegalArgumentException("seating constraint " + kind.jsonName()
          + (kind.needsB ? " needs b" : " takes no b"));
    }
    if (kind.needsSeat != (seat != null)) {
      throw new IllegalArgumentException("seating constraint " + kind.jsonName()
          + (kind.needsSeat ? " needs seat" : " takes no seat"));
    }
    if (a.equals(b)) throw new IllegalArgumentException("seating constraint " + kind.jsonName() + " relates " + a + " to itself");
  }

  public static SeatingConstraint pair(Kind kind, String a, String b) {
    return new SeatingConstraint(kind, a, b, null);
  }

  public static SeatingConstraint single(Kind kind, String a) {
    return new SeatingConstraint(kind, a, null, null);
  }

  public static SeatingConstraint seat(String a, int seat) {
    return new SeatingConstraint(Kind.SEAT, a, null, seat);
  }

  /** Whether the arrangement obeys this rule; {@code seatOf} maps every guest to a 0-based seat. */
  boolean holds(Map<String, Integer> seatOf, SeatingLayout layout) {
    int n = seatOf.size();
    int sa = seatOf.get(a);
    return switch (kind) {
      case ADJACENT -> layout.neighbours(sa, seatOf.get(b), n);
      case NOT_ADJACENT -> !layout.neighbours(sa, seatOf.get(b), n);
      case AT_END -> sa == 0 || sa == n - 1;
      case NOT_AT_END -> sa != 0 && sa != n - 1;
      case LEFT_OF -> sa < seatOf.get(b);
      case SEAT -> sa == seat - 1;
    };
  }

  /** The rule as a sentence for a prompt. */
  public String sentence() {
    return switch (kind) {
      case ADJACENT -> a + " sits next to " + b + ".";
      case NOT_ADJACENT -> a + " does not sit next to " + b + ".";
      case AT_END -> a + " sits at one end of the row.";
      case NOT_AT_END -> a + " does not sit at either end of the row.";
      case LEFT_OF -> a + " sits somewhere to the left of " + b + ".";
      case SEAT -> a + " sits in seat " + seat + ".";
    };
  }
}
