package io.tokenmill.udfs.rows;

import io.tokenmill.engine.tokenizer.ChatMessage;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Turns one raw input row (any runner, any format) into a {@link PromptRow}. Never throws for bad data:
 * a row it cannot read becomes a row with {@code inputError} set, so the job goes on and the output says
 * what was wrong.
 *
 * <p>Ids: the id column's value as a string (numbers without a trailing ".0"); with no id column, {@code
 * "h" + the first 16 hex digits of SHA-256} over the row's system, prompt and messages — stable across
 * runs and runners, so resume works on inputs without ids.
 */
public final class InputNormalizer implements Serializable {

  /** A raw row: column value as String, Number, Boolean, List (messages) or null. */
  public interface RowView {
    Object get(String column);
  }

  private final InputSpec.Resolved columns;

  public InputNormalizer(InputSpec.Resolved columns) {
    this.columns = columns;
  }

  public PromptRow normalize(RowView row, long position) {
    InputSpec spec = columns.spec();
    List<String> problems = new ArrayList<>();
    String prompt = columns.hasPrompt() ? asString(row.get(spec.promptColumn())) : null;
    String system = columns.hasSystem() ? asString(row.get(spec.systemColumn())) : null;
    String reference = columns.hasReference() ? asString(row.get(spec.referenceColumn())) : null;
    List<ChatMessage> messages = null;
    if (columns.hasMessages()) {
      Object raw = row.get(spec.messagesColumn());
      if (raw != null) {
        try {
          messages = messages(raw);
        } catch (IllegalArgumentException e) {
          problems.add("column '" + spec.messagesColumn() + "': " + e.getMessage());
        }
      }
    }
    String id = columns.hasId() ? asString(row.get(spec.idColumn())) : null;
    if (columns.hasId() && (id == null || id.isEmpty())) {
      problems.add("id column '" + spec.idColumn() + "' is null or empty");
    }
    if (id == null || id.isEmpty()) id = contentId(system, prompt, messages, position, columns.hasId());
    PromptRow.Overrides overrides = overrides(row, problems);
    String error = problems.isEmpty() ? null : String.join("; ", problems);
    return new PromptRow(id, position, bucket(id), prompt, messages, system, reference, overrides, error);
  }

  /** The wave-planning bucket of an id: FNV-1a over its UTF-8 bytes, mod {@link PromptRow#BUCKETS}. */
  public static int bucket(String id) {
    long h = 0xcbf29ce484222325L;
    for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return (int) Math.floorMod(h ^ (h >>> 29), (long) PromptRow.BUCKETS);
  }

  private static String contentId(String system, String prompt, List<ChatMessage> messages, long position,
      boolean idColumnExists) {
    StringBuilder canon = new StringBuilder();
    if (idColumnExists) canon.append("position\u0000").append(position).append('\u0000');
    canon.append("system\u0000").append(system).append("\u0000prompt\u0000").append(prompt).append("\u0000messages");
    if (messages != null) {
      for (ChatMessage m : messages) canon.append('\u0000').append(m.role()).append('\u0000').append(m.content());
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(canon.toString().getBytes(StandardCharsets.UTF_8));
      return "h" + HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private PromptRow.Overrides overrides(RowView row, List<String> problems) {
    if (columns.overrideColumns().isEmpty()) return PromptRow.Overrides.NONE;
    Integer maxNew = null;
    Double temperature = null;
    Double topP = null;
    Long seed = null;
    Integer budget = null;
    for (String c : columns.overrideColumns()) {
      Object v = row.get(c);
      if (v == null || (v instanceof String s && s.isBlank())) continue;
      Double d = number(v);
      if (d == null || d.isNaN()) {
        problems.add("override column '" + c + "' is not a number: '" + v + "'");
        continue;
      }
      boolean integral = d == Math.rint(d) && !d.isInfinite();
      switch (c) {
        case "max_new_tokens", "thinking_budget", "seed" -> {
          if (!integral) {
            problems.add("override column '" + c + "' must be a whole number, got " + v);
            continue;
          }
          if (c.equals("seed")) seed = d.longValue();
          else if (Math.abs(d) > Integer.MAX_VALUE) problems.add("override column '" + c + "' is out of range: " + v);
          else if (c.equals("max_new_tokens")) maxNew = d.intValue();
          else budget = d.intValue();
        }
        case "temperature" -> temperature = d;
        case "top_p" -> topP = d;
        default -> throw new IllegalStateException(c);
      }
    }
    return new PromptRow.Overrides(maxNew, temperature, topP, seed, budget);
  }

  private static Double number(Object v) {
    if (v instanceof Number n) return n.doubleValue();
    if (v instanceof String s) {
      try {
        return Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  static String asString(Object v) {
    if (v == null) return null;
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
    }
    return v.toString();
  }

  /** Messages from a list of maps/rows (native array&lt;struct&gt;) or a JSON array string. */
  @SuppressWarnings("unchecked")
  static List<ChatMessage> messages(Object raw) {
    List<ChatMessage> out = new ArrayList<>();
    if (raw instanceof String s) {
      JsonElement e;
      try {
        e = JsonParser.parseString(s);
      } catch (RuntimeException ex) {
        throw new IllegalArgumentException("not a JSON array of {role, content}: " + ex.getMessage());
      }
      if (!e.isJsonArray()) throw new IllegalArgumentException("not a JSON array of {role, content}");
      JsonArray a = e.getAsJsonArray();
      for (int i = 0; i < a.size(); i++) {
        JsonElement m = a.get(i);
        if (!m.isJsonObject()) throw new IllegalArgumentException("message " + i + " is not an object");
        var o = m.getAsJsonObject();
        out.add(message(i, o.has("role") && !o.get("role").isJsonNull() ? o.get("role").getAsString() : null,
            o.has("content") && !o.get("content").isJsonNull() ? o.get("content").getAsString() : null));
      }
    } else if (raw instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        Object m = list.get(i);
        if (!(m instanceof Map<?, ?> map)) throw new IllegalArgumentException("message " + i + " is not a struct");
        out.add(message(i, asString(((Map<String, Object>) map).get("role")),
            asString(((Map<String, Object>) map).get("content"))));
      }
    } else {
      throw new IllegalArgumentException("unsupported messages value of type " + raw.getClass().getSimpleName());
    }
    if (out.isEmpty()) throw new IllegalArgumentException("no messages");
    return out;
  }

  private static ChatMessage message(int i, String role, String content) {
    if (role == null || role.isBlank()) throw new IllegalArgumentException("message " + i + " has no role");
    if (content == null) throw new IllegalArgumentException("message " + i + " has no content");
    return new ChatMessage(role, content);
  }
}
