package io.tokenmill.udfs.eval.seating;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tokenmill.udfs.eval.JsonText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A seating puzzle as its machine-readable reference: the layout, the guests, and the constraints.
 * Any arrangement that seats every guest exactly once and obeys every constraint is a solution; there
 * may be several. The reference column holds it as a JSON string:
 *
 * <pre>{@code
 * {"layout":"row","guests":["Alice","Bob","Carol"],
 *  "constraints":[{"type":"adjacent","a":"Alice","b":"Bob"},{"type":"seat","a":"Carol","seat":1}]}
 * }</pre>
 */
public record SeatingPuzzle(SeatingLayout layout, List<String> guests, List<SeatingConstraint> constraints) {

  public SeatingPuzzle {
    if (layout == null) throw new IllegalArgumentException("seating reference: no layout");
    guests = List.copyOf(guests);
    constraints = List.copyOf(constraints);
    if (guests.size() < 2) throw new IllegalArgumentException("seating reference: needs at least 2 guests");
    Set<String> folded = new HashSet<>();
    for (String guest : guests) {
      if (guest.isBlank() || guest.contains(",")) {
        throw new IllegalArgumentException("seating reference: guest name '" + guest + "' is blank or has a comma");
      }
      if (!folded.add(fold(guest))) throw new IllegalArgumentException("seating reference: guest " + guest + " listed twice");
    }
    for (SeatingConstraint c : constraints) {
      if (!c.kind().layouts.contains(layout)) {
        throw new IllegalArgumentException("seating reference: " + c.kind().jsonName()
            + " does not apply to a " + layout.jsonName());
      }
      for (String name : c.b() == null ? List.of(c.a()) : List.of(c.a(), c.b())) {
        if (!guests.contains(name)) throw new IllegalArgumentException("seating reference: constraint names unknown guest " + name);
      }
      if (c.seat() != null && (c.seat() < 1 || c.seat() > guests.size())) {
        throw new IllegalArgumentException("seating reference: seat " + c.seat() + " is not in 1.." + guests.size());
      }
    }
  }

  /**
   * Reads a reference.
   *
   * @throws IllegalArgumentException naming what is wrong with it
   */
  public static SeatingPuzzle fromJson(String json) {
    JsonElement root = JsonText.parseStrict(json);
    if (root == null || !root.isJsonObject()) {
      throw new IllegalArgumentException("seating reference is not a JSON object: " + json);
    }
    try {
      JsonObject o = root.getAsJsonObject();
      SeatingLayout layout = o.has("layout") ? SeatingLayout.fromJson(o.get("layout").getAsString()) : SeatingLayout.ROW;
      List<String> guests = new ArrayList<>();
      for (JsonElement g : o.getAsJsonArray("guests")) guests.add(g.getAsString());
      List<SeatingConstraint> constraints = new ArrayList<>();
      JsonArray rules = o.has("constraints") ? o.getAsJsonArray("constraints") : new JsonArray();
      for (JsonElement r : rules) {
        JsonObject rule = r.getAsJsonObject();
        constraints.add(new SeatingConstraint(
            SeatingConstraint.Kind.fromJson(rule.get("type").getAsString()),
            rule.get("a").getAsString(),
            rule.has("b") ? rule.get("b").getAsString() : null,
            rule.has("seat") ? rule.get("seat").getAsInt() : null));
      }
      return new SeatingPuzzle(layout, guests, constraints);
    } catch (NullPointerException | ClassCastException | IllegalStateException
        | UnsupportedOperationException | NumberFormatException e) {
      // a missing field, or a field of the wrong JSON type
      throw new IllegalArgumentException("seating reference is malformed (" + e + "): " + json, e);
    }
  }

  /** The reference JSON (the form {@link #fromJson} reads). */
  public String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("layout", layout.jsonName());
    JsonArray names = new JsonArray();
    guests.forEach(names::add);
    o.add("guests", names);
    JsonArray rules = new JsonArray();
    for (SeatingConstraint c : constraints) {
      JsonObject rule = new JsonObject();
      rule.addProperty("type", c.kind().jsonName());
      rule.addProperty("a", c.a());
      if (c.b() != null) rule.addProperty("b", c.b());
      if (c.seat() != null) rule.addProperty("seat", c.seat());
      rules.add(rule);
    }
    o.add("constraints", rules);
    return o.toString();
  }

  /**
   * Whether {@code seats} (names in seat order: left to right, or clockwise at a table) seats every
   * guest exactly once and obeys every constraint. Names must be spelled as in {@link #guests()}.
   */
  public boolean isSolvedBy(List<String> seats) {
    if (seats.size() != guests.size()) return false;
    Map<String, Integer> seatOf = new HashMap<>();
    for (int i = 0; i < seats.size(); i++) {
      String guest = seats.get(i);
      if (guest == null || !guests.contains(guest) || seatOf.put(guest, i) != null) return false;
    }
    for (SeatingConstraint c : constraints) {
      if (!c.holds(seatOf, layout)) return false;
    }
    return true;
  }

  /**
   * The guests that {@code names} spell, ignoring case, in the same order; an unknown name maps to
   * null so that {@link #isSolvedBy} rejects the arrangement.
   */
  public List<String> canonicalNames(List<String> names) {
    Map<String, String> byFolded = new HashMap<>();
    for (String guest : guests) byFolded.put(fold(guest), guest);
    List<String> out = new ArrayList<>(names.size());
    for (String name : names) out.add(byFolded.get(fold(name)));
    return out;
  }

  private static String fold(String name) {
    return name.trim().toLowerCase(Locale.ROOT);
  }
}
