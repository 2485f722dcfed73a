package io.tokenmill.udfs.rows;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which input columns carry what (config keys {@code input.*_column}). {@link #check} validates a
 * dataset's schema on the driver, before any model work, and fails naming the column and the config key.
 *
 * <p>Per-row overrides are read from columns with the fixed names in {@link #OVERRIDE_COLUMNS} when the
 * input has them.
 */
public record InputSpec(String idColumn, String promptColumn, String messagesColumn, String systemColumn,
    String referenceColumn) implements Serializable {

  public static final List<String> OVERRIDE_COLUMNS = List.of("max_new_tokens", "temperature", "top_p", "seed",
      "thinking_budget", "min_tokens", "top_logprobs", "stop_token_ids");

  public static final InputSpec DEFAULT = new InputSpec("id", "prompt", "messages", "system", "reference");

  /** The columns of a checked schema that the normaliser will read. */
  public record Resolved(InputSpec spec, boolean hasId, boolean hasPrompt, boolean hasMessages, boolean hasSystem,
      boolean hasReference, List<String> overrideColumns) implements Serializable {}

  /**
   * Checks {@code schema} (column name → kind, in input order) against this spec.
   *
   * @throws IllegalArgumentException naming every problem: missing prompt/messages, wrong types
   */
  public Resolved check(Map<String, ColumnKind> schema, String source) {
    List<String> problems = new ArrayList<>();
    boolean hasId = schema.containsKey(idColumn);
    boolean hasPrompt = schema.containsKey(promptColumn);
    boolean hasMessages = schema.containsKey(messagesColumn);
    if (!hasPrompt && !hasMessages) {
      problems.add("neither prompt column '" + promptColumn + "' (input.prompt_column) nor messages column '"
          + messagesColumn + "' (input.messages_column) exists");
    }
    expect(schema, idColumn, "input.id_column", problems, ColumnKind.STRING, ColumnKind.NUMBER);
    expect(schema, promptColumn, "input.prompt_column", problems, ColumnKind.STRING);
    expect(schema, messagesColumn, "input.messages_column", problems, ColumnKind.MESSAGES, ColumnKind.STRING);
    expect(schema, systemColumn, "input.system_column", problems, ColumnKind.STRING);
    expect(schema, referenceColumn, "input.reference_column", problems, ColumnKind.STRING, ColumnKind.NUMBER);
    List<String> overrides = new ArrayList<>();
    for (String c : OVERRIDE_COLUMNS) {
      if (schema.containsKey(c)) {
        if (c.equals("stop_token_ids")) { // an array of ids, or its text ("[1, 2]", "1,2"); rows check the values
          expect(schema, c, "per-row override", problems, ColumnKind.STRING, ColumnKind.OTHER);
        } else {
          expect(schema, c, "per-row override", problems, ColumnKind.NUMBER, ColumnKind.STRING);
        }
        overrides.add(c);
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("input " + source + ": " + String.join("; ", problems)
          + " (columns: " + schema + ")");
    }
    return new Resolved(this, hasId, hasPrompt, hasMessages, schema.containsKey(systemColumn),
        schema.containsKey(referenceColumn), List.copyOf(overrides));
  }

  private static void expect(Map<String, ColumnKind> schema, String column, String key, List<String> problems,
      ColumnKind... allowed) {
    ColumnKind kind = schema.get(column);
    if (kind == null) return;
    for (ColumnKind a : allowed) {
      if (a == kind) return;
    }
    problems.add("column '" + column + "' (" + key + ") has type " + kind + ", expected "
        + (allowed.length == 1 ? allowed[0] : java.util.Arrays.toString(allowed)));
  }
}
