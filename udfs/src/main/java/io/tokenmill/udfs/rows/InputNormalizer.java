package io.tokenmill.udfs.rows;

import io.tokenmill.engine.tokenizer.ChatMessage;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.Serializable;
import java.math.BigDecimal;
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
    return normalize(row, position, null);
  }

  /**
   * The row at {@code position}; {@code where} (e.g. {@code in.jsonl line 3}, may be null) prefixes its error,
   * so an error row names the file and line as well as the column.
   */
  public PromptRow normalize(RowView row, long position, String where) {
    InputSpec spec = columns.spec();
    List<String> problems = new ArrayList<>();
    String prompt = columns.hasPrompt() ? text(row, spec.promptColumn(), false, problems) : null;
    String system = columns.hasSystem() ? text(row, spec.systemColumn(), false, problems) : null;
    String reference = columns.hasReference() ? text(row, spec.referenceColumn(), true, problems) : null;
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
    String id = null;
    if (columns.hasId()) {
      int before = problems.size();
      id = text(row, spec.idColumn(), true, problems);
      if (problems.size() == before && (id == null || id.isEmpty())) {
        problems.add("id column '" + spec.idColumn() + "' is null or empty");
      }
    }
    if (id == null || id.isEmpty()) id = contentId(system, prompt, messages, position, columns.hasId());
    PromptRow.Overrides overrides = overrides(row, problems);
    String error = problems.isEmpty() ? null : located(where, String.join("; ", problems));
    return new PromptRow(id, position, bucket(id), prompt, messages, system, reference, overrides, error);
  }

  /**
   * A record the reader could not turn into columns (not JSON, not UTF-8, a broken CSV record): an error row
   * whose id is a hash of where it sits, so every such row has its own stable id.
   */
  public PromptRow unreadable(long position, String where, String error) {
    String id = hash("unreadable\u0000" + (where == null ? "position " + position : where));
    return new PromptRow(id, position, bucket(id), null, null, null, null, PromptRow.Overrides.NONE,
        located(where, error));
  }

  private static String located(String where, String problem) {
    return where == null ? problem : where + ": " + problem;
  }

  /** A text column's value: a string, or (when {@code numbers}) a number written exactly; else a problem. */
  private static String text(RowView row, String column, boolean numbers, List<String> problems) {
    Object v = row.get(column);
    if (v == null || v instanceof String) return (String) v;
    if (numbers && v instanceof Number) return asString(v);
    problems.add("column '" + column + "' holds " + describe(v) + ", expected a string"
        + (numbers ? " or a number" : ""));
    return null;
  }

  private static String describe(Object v) {
    if (v instanceof Boolean b) return "a boolean (" + b + ")";
    if (v instanceof Number n) return "a number (" + asString(n) + ")";
    if (v instanceof List<?>) return "an array";
    if (v instanceof Map<?, ?>) return "an object";
    return "a " + v.getClass().getSimpleName();
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
    return hash(canon.toString());
  }

  private static String hash(String canon) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(canon.getBytes(StandardCharsets.UTF_8));
      return "h" + HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final BigDecimal INT_MAX = BigDecimal.valueOf(Integer.MAX_VALUE);
  private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  /** The per-row overrides, each range-checked here so that a bad value is an error row naming its column. */
  private PromptRow.Overrides overrides(RowView row, List<String> problems) {
    if (columns.overrideColumns().isEmpty()) return PromptRow.Overrides.NONE;
    Integer maxNew = null;
    Double temperature = null;
    Double topP = null;
    Long seed = null;
    Integer budget = null;
    Integer minTokens = null;
    Integer topLogprobs = null;
    List<Integer> stopTokenIds = null;
    for (String c : columns.overrideColumns()) {
      Object v = row.get(c);
      if (v == null || (v instanceof String s && s.isBlank())) continue;
      if (c.equals("stop_token_ids")) {
        try {
          stopTokenIds = tokenIds(v);
        } catch (IllegalArgumentException e) {
          problems.add("override column 'stop_token_ids' " + e.getMessage());
        }
        continue;
      }
      BigDecimal d = number(v);
      if (d == null) {
        problems.add("override column '" + c + "' is not a number: " + (v instanceof String ? "'" + v + "'" : describe(v)));
        continue;
      }
      String shown = v instanceof String s ? s.trim() : asString(v);
      switch (c) {
        case "max_new_tokens", "thinking_budget", "seed", "min_tokens", "top_logprobs" -> {
          if (d.stripTrailingZeros().scale() > 0) {
            problems.add("override column '" + c + "' must be a whole number, got " + shown);
            continue;
          }
          boolean seedColumn = c.equals("seed");
          boolean zeroOk = c.equals("min_tokens") || c.equals("top_logprobs") || c.equals("thinking_budget");
          BigDecimal lo = seedColumn ? LONG_MIN : zeroOk ? BigDecimal.ZERO : BigDecimal.ONE;
          BigDecimal hi = seedColumn ? LONG_MAX : c.equals("top_logprobs") ? BigDecimal.valueOf(MAX_TOP_LOGPROBS) : INT_MAX;
          if (d.compareTo(lo) < 0 || d.compareTo(hi) > 0) {
            problems.add("override column '" + c + "' is out of range: " + shown + " (must be a whole number in ["
                + lo + ", " + hi + "])");
            continue;
          }
          if (seedColumn) seed = d.longValueExact();
          else if (c.equals("max_new_tokens")) maxNew = d.intValueExact();
          else if (c.equals("min_tokens")) minTokens = d.intValueExact();
          else if (c.equals("top_logprobs")) topLogprobs = d.intValueExact();
          else budget = d.intValueExact();
        }
        case "temperature" -> {
          if (d.compareTo(BigDecimal.ZERO) < 0 || d.compareTo(BigDecimal.valueOf(100)) > 0) {
            problems.add("override column 'temperature' is out of range: " + shown + " (must be in [0, 100])");
          } else {
            temperature = d.doubleValue();
          }
        }
        case "top_p" -> {
          if (d.compareTo(BigDecimal.ZERO) <= 0 || d.compareTo(BigDecimal.ONE) > 0) {
            problems.add("override column 'top_p' is out of range: " + shown + " (must be in (0, 1])");
          } else {
            topP = d.doubleValue();
          }
        }
        default -> throw new IllegalStateException(c);
      }
    }
    return new PromptRow.Overrides(maxNew, temperature, topP, seed, budget, minTokens, topLogprobs, stopTokenIds);
  }

  /** Most alternatives per token a row or the job may ask for (OpenAI's and vLLM's default limit). */
  public static final int MAX_TOP_LOGPROBS = 20;

  /**
   * Token ids from an array of whole numbers, or from its text: a JSON array ({@code "[151643, 198]"}) or a
   * comma-separated list ({@code "151643,198"}, for CSV).
   *
   * @throws IllegalArgumentException saying what is wrong (the caller adds the column)
   */
  public static List<Integer> tokenIds(Object v) {
    List<?> items;
    if (v instanceof List<?> l) {
      items = l;
    } else if (v instanceof String s) {
      String t = s.trim();
      if (t.startsWith("[")) {
        try {
          JsonArray a = JsonParser.parseString(t).getAsJsonArray();
          List<Object> out = new ArrayList<>();
          for (JsonElement e : a) out.add(e.isJsonPrimitive() ? e.getAsString() : e.toString());
          items = out;
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("is not a JSON array of token ids: '" + s + "'");
        }
      } else {
        items = List.of(t.split("\\s*,\\s*"));
      }
    } else if (v instanceof Number) {
      items = List.of(v);
    } else {
      throw new IllegalArgumentException("holds " + describe(v) + ", expected an array of token ids");
    }
    List<Integer> ids = new ArrayList<>();
    for (Object o : items) {
      BigDecimal d = o == null ? null : number(o);
      if (d == null || d.stripTrailingZeros().scale() > 0 || d.signum() < 0 || d.compareTo(INT_MAX) > 0) {
        throw new IllegalArgumentException("holds '" + (o instanceof Number ? asString(o) : o)
            + "', not a token id (a whole number in [0, " + Integer.MAX_VALUE + "])");
      }
      ids.add(d.intValueExact());
    }
    return ids;
  }

  /** A number exactly (never through a rounded double of a decimal text), or null when {@code v} is none. */
  private static BigDecimal number(Object v) {
    try {
      if (v instanceof BigDecimal b) return b;
      if (v instanceof java.math.BigInteger b) return new BigDecimal(b);
      if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
        return BigDecimal.valueOf(((Number) v).longValue());
      }
      if (v instanceof Double || v instanceof Float) {
        double d = ((Number) v).doubleValue();
        return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
      }
      if (v instanceof String s && s.trim().length() <= 1000) return new BigDecimal(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
    return null;
  }

  /**
   * A value as text. Numbers are written exactly: whole numbers without a trailing ".0" (a double only while
   * it is exact, below 1e15), decimals in plain notation ({@code 1E+3} → {@code 1000}).
   */
  static String asString(Object v) {
    if (v == null) return null;
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
    }
    if (v instanceof BigDecimal b) {
      if (Math.abs((long) b.scale()) > 1000) return b.toString(); // 1e999999 stays short
      BigDecimal s = b.stripTrailingZeros();
      return s.scale() <= 0 ? s.toPlainString() : b.toPlainString();
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
        out.add(message(i, field(i, "role", o.has("role") && !o.get("role").isJsonNull() ? o.get("role") : null),
            field(i, "content", o.has("content") && !o.get("content").isJsonNull() ? o.get("content") : null)));
      }
    } else if (raw instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        Object m = list.get(i);
        if (!(m instanceof Map<?, ?> map)) throw new IllegalArgumentException("message " + i + " is not a struct");
        out.add(message(i, field(i, "role", ((Map<String, Object>) map).get("role")),
            field(i, "content", ((Map<String, Object>) map).get("content"))));
      }
    } else {
      throw new IllegalArgumentException("unsupported messages value of type " + raw.getClass().getSimpleName());
    }
    if (out.isEmpty()) throw new IllegalArgumentException("no messages");
    return out;
  }

  /** A message's role or content: a string (a JSON string primitive), else a problem naming it. */
  private static String field(int i, String name, Object v) {
    if (v == null) return null;
    if (v instanceof String s) return s;
    if (v instanceof JsonElement e && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) return e.getAsString();
    throw new IllegalArgumentException("message " + i + " has a " + name + " that is not a string");
  }

  private static ChatMessage message(int i, String role, String content) {
    if (role == null || role.isBlank()) throw new IllegalArgumentException("message " + i + " has no role");
    if (content == null) throw new IllegalArgumentException("message " + i + " has no content");
    return new ChatMessage(role, content);
  }
}
