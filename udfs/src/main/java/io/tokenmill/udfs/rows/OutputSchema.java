package io.tokenmill.udfs.rows;

import java.util.List;

/**
 * The output contract's columns, declared once; the Spark and Arrow writers derive their schemas from this
 * list, so both runners write identical Parquet. Types are fixed (never null-typed) so readers never choke
 * on an all-null column.
 */
public final class OutputSchema {

  /** Column types used by the contract. */
  public enum Type { STRING, INT, LONG, BOOLEAN, INT_ARRAY, FLOAT_ARRAY }

  /** One column: name, type, whether it can be null. */
  public record Column(String name, Type type, boolean nullable) {}

  public static final List<Column> COLUMNS = List.of(
      new Column("id", Type.STRING, false),
      new Column("sample", Type.INT, false),
      new Column("prompt_text", Type.STRING, true),
      new Column("reasoning", Type.STRING, true),
      new Column("answer", Type.STRING, true),
      new Column("extracted", Type.STRING, true),
      new Column("correct", Type.BOOLEAN, true),
      new Column("reference", Type.STRING, true),
      new Column("finish_reason", Type.STRING, false),
      new Column("prompt_tokens", Type.INT, false),
      new Column("reasoning_tokens", Type.INT, false),
      new Column("answer_tokens", Type.INT, false),
      new Column("transition_tokens", Type.INT, false),
      new Column("token_ids", Type.INT_ARRAY, true),
      new Column("logprobs", Type.FLOAT_ARRAY, true),
      new Column("top_logprobs", Type.STRING, true),
      new Column("ttft_ms", Type.LONG, false),
      new Column("latency_ms", Type.LONG, false),
      new Column("model", Type.STRING, false),
      new Column("device", Type.STRING, false),
      new Column("run_id", Type.STRING, false),
      new Column("attempt", Type.INT, false),
      new Column("error", Type.STRING, true));

  /** Columns whose values depend on timing or on where/when a row ran, not on what was generated. */
  public static final List<String> PROVENANCE = List.of("ttft_ms", "latency_ms", "device", "run_id", "attempt");

  /**
   * Columns outputs written by earlier versions lack; readers take them as null (a count as 0), so such an
   * output can still be resumed and summarised.
   */
  public static final List<String> ADDED_LATER = List.of("transition_tokens", "token_ids", "logprobs", "top_logprobs");

  private OutputSchema() {}

  public static int indexOf(String name) {
    for (int i = 0; i < COLUMNS.size(); i++) {
      if (COLUMNS.get(i).name().equals(name)) return i;
    }
    throw new IllegalArgumentException("no output column '" + name + "'");
  }
}
