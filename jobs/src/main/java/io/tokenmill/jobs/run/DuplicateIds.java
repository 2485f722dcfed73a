package io.tokenmill.jobs.run;

import com.google.gson.JsonObject;
import io.tokenmill.udfs.rows.PromptRow;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Input rows whose id an earlier input row already has. Only the first occurrence (lowest position) is
 * generated; the later ones are not output rows — that would give one (id, sample) key two rows — but lines
 * of {@link OutputLayout#DUPLICATES} beside {@code rows/}, each naming the row, the first row with its id and
 * why, and a count in the summary. The file is rewritten by every run (it is a function of the input).
 */
public final class DuplicateIds {

  /** One input row that was not generated because {@code firstPosition} has the same id. */
  public record Later(String id, long position, long firstPosition) {
    public String message() {
      return "duplicate id '" + id + "': input row " + position + " repeats the id of input row " + firstPosition
          + " (only the first is generated)";
    }

    String jsonLine() {
      JsonObject o = new JsonObject();
      o.addProperty("id", id);
      o.addProperty("input_row", position);
      o.addProperty("first_input_row", firstPosition);
      o.addProperty("error", message());
      return o.toString();
    }
  }

  private DuplicateIds() {}

  /** id → position of its first occurrence (the lowest), for ids that occur more than once. */
  public static Map<String, Long> firstPositions(List<PromptRow> prompts) {
    Map<String, Long> first = new HashMap<>();
    Set<String> repeated = new HashSet<>();
    for (PromptRow p : prompts) {
      Long before = first.get(p.id());
      if (before != null) repeated.add(p.id());
      first.put(p.id(), before == null ? p.position() : Math.min(before, p.position()));
    }
    Map<String, Long> out = new HashMap<>();
    for (String id : repeated) out.put(id, first.get(id));
    return out;
  }

  /** Whether {@code p} is a later occurrence of an id in {@code firstPositions}. */
  public static boolean isLater(PromptRow p, Map<String, Long> firstPositions) {
    Long f = firstPositions.get(p.id());
    return f != null && f != p.position();
  }

  /** The later occurrences among {@code prompts}. */
  public static List<Later> later(List<PromptRow> prompts, Map<String, Long> firstPositions) {
    List<Later> out = new ArrayList<>();
    for (PromptRow p : prompts) {
      if (isLater(p, firstPositions)) out.add(new Later(p.id(), p.position(), firstPositions.get(p.id())));
    }
    return out;
  }

  /** The file's content (JSON Lines, in input order), or null when there are none (the file is then removed). */
  public static String fileText(List<Later> later) {
    if (later.isEmpty()) return null;
    StringBuilder b = new StringBuilder();
    later.stream().sorted(Comparator.comparingLong(Later::position))
        .forEach(l -> b.append(l.jsonLine()).append('\n'));
    return b.toString();
  }
}
