package io.tokenmill.reasoner.tasks.seating;

import java.util.List;

/**
 * One condition of a seating puzzle, worded exactly as the project's puzzles word it
 * ({@code data-samples/prompts/seating.jsonl}, checked by {@code udfs}' {@code SeatingVerifier}), with its
 * JSON form for the reference column. {@code b} is null for the one-guest kinds, {@code seat} (1-based)
 * only for {@link Kind#SEAT}.
 */
public record Rule(Kind kind, String a, String b, int seat) {

  /** The condition kinds; {@code jsonName} is the reference JSON's {@code type}. */
  public enum Kind {
    ADJACENT("adjacent", true),
    NOT_ADJACENT("not_adjacent", true),
    AT_END("at_end", false),
    NOT_AT_END("not_at_end", false),
    LEFT_OF("left_of", false),
    SEAT("seat", false);

    final String jsonName;
    /** Whether the kind survives rotation and reflection, i.e. is allowed at a round table. */
    final boolean atTable;

    Kind(String jsonName, boolean atTable) {
      this.jsonName = jsonName;
      this.atTable = atTable;
    }

    boolean pair() {
      return this == ADJACENT || this == NOT_ADJACENT || this == LEFT_OF;
    }
  }

  public Rule {
    if (kind.pair() == (b == null)) throw new IllegalArgumentException(kind + " takes " + (kind.pair() ? "two guests" : "one guest"));
    if ((kind == Kind.SEAT) != (seat > 0)) throw new IllegalArgumentException(kind + ": seat " + seat);
  }

  static Rule pair(Kind kind, String a, String b) {
    return new Rule(kind, a, b, 0);
  }

  static Rule single(Kind kind, String a) {
    return new Rule(kind, a, null, 0);
  }

  /** Whether the rule holds when the guests sit in {@code seats} (seat order; clockwise at a table). */
  boolean holds(List<String> seats, boolean table) {
    int n = seats.size();
    int sa = seats.indexOf(a);
    int sb = b == null ? -1 : seats.indexOf(b);
    return switch (kind) {
      case ADJACENT -> neighbours(sa, sb, n, table);
      case NOT_ADJACENT -> !neighbours(sa, sb, n, table);
      case AT_END -> sa == 0 || sa == n - 1;
      case NOT_AT_END -> sa != 0 && sa != n - 1;
      case LEFT_OF -> sa < sb;
      case SEAT -> sa == seat - 1;
    };
  }

  static boolean neighbours(int i, int j, int n, boolean table) {
    int d = Math.abs(i - j);
    return d == 1 || (table && n > 2 && d == n - 1);
  }

  /** The condition as the prompt states it. */
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
