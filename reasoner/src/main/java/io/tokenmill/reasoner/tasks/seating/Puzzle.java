package io.tokenmill.reasoner.tasks.seating;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A seating puzzle: a row (seats 1..n left to right) or a round table, the guests (in the fixed
 * alphabetical order of {@link PuzzleGenerator#NAMES}, as the prompt lists them) and the rules. Renders
 * the prompt and the reference JSON exactly as {@code data-samples/prompts/seating.jsonl} has them, so the
 * model reads the job's own puzzles and the project's verifier checks its answers.
 */
public record Puzzle(boolean table, List<String> guests, List<Rule> rules) {

  private static final String[] NUMBER_WORDS = {"", "", "Two", "Three", "Four", "Five", "Six", "Seven"};

  public Puzzle {
    guests = List.copyOf(guests);
    rules = List.copyOf(rules);
    if (guests.size() < 2 || guests.size() >= NUMBER_WORDS.length) {
      throw new IllegalArgumentException("seating puzzle: " + guests.size() + " guests, supported 2-7");
    }
    for (Rule r : rules) {
      if (table && !r.kind().atTable) throw new IllegalArgumentException("seating puzzle: " + r.kind() + " at a table");
    }
  }

  public int size() {
    return guests.size();
  }

  /** Whether {@code seats} (seat order, clockwise at a table) seats every guest once and obeys every rule. */
  public boolean isSolvedBy(List<String> seats) {
    if (seats.size() != guests.size() || !seats.containsAll(guests)) return false;
    for (Rule r : rules) if (!r.holds(seats, table)) return false;
    return true;
  }

  /** Every solution by brute force (6 guests: 720 orderings), in lexicographic order of guest indices. */
  public List<List<String>> solutions() {
    List<List<String>> out = new ArrayList<>();
    permute(new ArrayList<>(), new boolean[size()], out);
    return out;
  }

  private void permute(List<String> prefix, boolean[] used, List<List<String>> out) {
    if (prefix.size() == size()) {
      if (isSolvedBy(prefix)) out.add(List.copyOf(prefix));
      return;
    }
    for (int i = 0; i < size(); i++) {
      if (used[i]) continue;
      used[i] = true;
      prefix.add(guests.get(i));
      permute(prefix, used, out);
      prefix.remove(prefix.size() - 1);
      used[i] = false;
    }
  }

  /** The user prompt, word for word the form of the committed puzzles. */
  public String prompt() {
    int n = size();
    String names = String.join(", ", guests.subList(0, n - 1)) + " and " + guests.get(n - 1);
    StringBuilder p = new StringBuilder();
    if (!table) {
      p.append(NUMBER_WORDS[n]).append(" friends, ").append(names).append(", sit in a row of ").append(n)
          .append(" seats numbered 1 to ").append(n).append(" from left to right, one person per seat. ")
          .append("\"Next to\" means in a neighbouring seat.\n");
    } else {
      p.append(NUMBER_WORDS[n]).append(" friends, ").append(names).append(", sit around a round table with ")
          .append(n).append(" chairs, one person per chair. \"Next to\" means in a neighbouring chair.\n");
    }
    p.append("Find a seating that satisfies all of these conditions:\n");
    for (int i = 0; i < rules.size(); i++) p.append(i + 1).append(". ").append(rules.get(i).sentence()).append('\n');
    p.append("If several seatings work, any one of them is accepted. End your answer with one line of the form\n");
    if (!table) {
      p.append("Seating: <seat 1>, <seat 2>, ..., <seat ").append(n).append(">\n")
          .append("listing all ").append(n).append(" names from left to right.");
    } else {
      p.append("Seating: <name>, <name>, ..., <name>\n")
          .append("listing all ").append(n).append(" names in clockwise order, starting with anyone.");
    }
    return p.toString();
  }

  /**
   * Reads a reference JSON ({@link #referenceJson}'s form, the {@code reference} column of the seating
   * prompt files).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static Puzzle fromReference(String json) {
    try {
      JsonObject o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
      boolean table = o.has("layout") && o.get("layout").getAsString().equals("table");
      List<String> guests = new ArrayList<>();
      for (var g : o.getAsJsonArray("guests")) guests.add(g.getAsString());
      List<Rule> rules = new ArrayList<>();
      for (var e : o.getAsJsonArray("constraints")) {
        JsonObject r = e.getAsJsonObject();
        String type = r.get("type").getAsString();
        Rule.Kind kind = null;
        for (Rule.Kind k : Rule.Kind.values()) if (k.jsonName.equals(type)) kind = k;
        if (kind == null) throw new IllegalArgumentException("unknown constraint type '" + type + "'");
        rules.add(new Rule(kind, r.get("a").getAsString(), r.has("b") ? r.get("b").getAsString() : null,
            r.has("seat") ? r.get("seat").getAsInt() : 0));
      }
      return new Puzzle(table, guests, rules);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("seating reference is not a puzzle (" + e.getMessage() + "): " + json, e);
    }
  }

  private static final java.util.regex.Pattern HEAD = java.util.regex.Pattern.compile(
      "^\\w+ friends, (.+), sit (in a row of|around a round table with) \\d+ ");
  private static final java.util.regex.Pattern CONDITION = java.util.regex.Pattern.compile(
      "^\\d+\\. (\\w+) (sits next to (\\w+)|does not sit next to (\\w+)|sits at one end of the row"
          + "|does not sit at either end of the row|sits somewhere to the left of (\\w+)|sits in seat (\\d+))\\.$");

  /**
   * Reads a prompt of {@link #prompt()}'s form back into the puzzle (the inverse of {@link #prompt()}).
   *
   * @throws IllegalArgumentException when the text is not such a prompt, naming the line
   */
  public static Puzzle fromPrompt(String prompt) {
    String[] lines = prompt.split("\n");
    var head = HEAD.matcher(lines[0]);
    if (!head.find()) throw new IllegalArgumentException("not a seating prompt: " + lines[0]);
    boolean table = head.group(2).startsWith("around");
    List<String> guests = new ArrayList<>();
    String names = head.group(1);
    int and = names.lastIndexOf(" and ");
    if (and < 0) throw new IllegalArgumentException("seating prompt: no guest list in " + lines[0]);
    for (String g : names.substring(0, and).split(", ")) guests.add(g);
    guests.add(names.substring(and + 5));
    List<Rule> rules = new ArrayList<>();
    for (int i = 2; i < lines.length && !lines[i].startsWith("If several"); i++) {
      var m = CONDITION.matcher(lines[i]);
      if (!m.matches()) throw new IllegalArgumentException("seating prompt: unreadable condition '" + lines[i] + "'");
      String a = m.group(1);
      String verb = m.group(2);
      if (m.group(3) != null) rules.add(Rule.pair(Rule.Kind.ADJACENT, a, m.group(3)));
      else if (m.group(4) != null) rules.add(Rule.pair(Rule.Kind.NOT_ADJACENT, a, m.group(4)));
      else if (m.group(5) != null) rules.add(Rule.pair(Rule.Kind.LEFT_OF, a, m.group(5)));
      else if (m.group(6) != null) rules.add(new Rule(Rule.Kind.SEAT, a, null, Integer.parseInt(m.group(6))));
      else if (verb.startsWith("sits at")) rules.add(Rule.single(Rule.Kind.AT_END, a));
      else rules.add(Rule.single(Rule.Kind.NOT_AT_END, a));
    }
    return new Puzzle(table, guests, rules);
  }

  /** The reference JSON the {@code seating} verifier reads. */
  public String referenceJson() {
    JsonObject o = new JsonObject();
    o.addProperty("layout", table ? "table" : "row");
    JsonArray names = new JsonArray();
    guests.forEach(names::add);
    o.add("guests", names);
    JsonArray list = new JsonArray();
    for (Rule r : rules) {
      JsonObject rule = new JsonObject();
      rule.addProperty("type", r.kind().jsonName);
      rule.addProperty("a", r.a());
      if (r.b() != null) rule.addProperty("b", r.b());
      if (r.kind() == Rule.Kind.SEAT) rule.addProperty("seat", r.seat());
      list.add(rule);
    }
    o.add("constraints", list);
    return o.toString();
  }
}
