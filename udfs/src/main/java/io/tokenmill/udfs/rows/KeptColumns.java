package io.tokenmill.udfs.rows;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The input columns an output row carries ahead of the output columns (config key {@code output.keep_columns}:
 * {@code all}, {@code none} or a list of names), resolved once on the driver against the input's columns, the
 * same way for the job on both runners and for the DataFrame API.
 *
 * <p>The input's id column when it is named {@code id}, and its reference column when it is named {@code
 * reference}, are already in the output under that name, so they are not repeated. Any other input column whose
 * name is an output column's (compared ignoring case, as Spark and Parquet readers do), or {@code wave} (the
 * partition column of {@code OUTPUT/rows}), is a clash: an error naming the column, unless keep_columns leaves it
 * out. Output columns never silently replace input columns.
 */
public record KeptColumns(List<String> names) implements Serializable {

  public static final KeptColumns NONE = new KeptColumns(List.of());

  /** {@code OUTPUT/rows/wave=…}: a kept column of this name would collide with the partition column. */
  public static final String PARTITION_COLUMN = "wave";

  public KeptColumns {
    names = List.copyOf(names);
  }

  /** A parsed {@code output.keep_columns}: every column, none, or the listed ones. */
  public record Setting(boolean all, List<String> listed) implements Serializable {

    public static final Setting ALL = new Setting(true, List.of());

    public Setting {
      listed = List.copyOf(listed);
    }

    /**
     * From the config value: {@code all}, {@code none}, or a list of column names (a YAML list, or one name).
     *
     * @throws IllegalArgumentException naming the key for an empty name or a name listed twice
     */
    public static Setting parse(Object value) {
      if (value == null) return ALL;
      if (value instanceof String s && s.trim().equalsIgnoreCase("all")) return ALL;
      if (value instanceof String s && s.trim().equalsIgnoreCase("none")) return new Setting(false, List.of());
      List<String> names = new ArrayList<>();
      if (value instanceof List<?> l) {
        for (Object o : l) names.add(o == null ? "" : String.valueOf(o));
      } else {
        names.add(String.valueOf(value));
      }
      Set<String> seen = new LinkedHashSet<>();
      for (String n : names) {
        if (n.isBlank()) throw new IllegalArgumentException("output.keep_columns lists an empty column name: " + value);
        if (!seen.add(n)) throw new IllegalArgumentException("output.keep_columns lists '" + n + "' twice");
      }
      return new Setting(false, names);
    }
  }

  /**
   * The kept columns of an input with {@code inputColumns} (in input order).
   *
   * @param source the input in words, for messages ({@code input data/in.parquet}, {@code the DataFrame})
   * @throws IllegalArgumentException naming the column: a listed column the input lacks, or a clash
   */
  public static KeptColumns resolve(Setting setting, List<String> inputColumns, InputSpec spec, String source) {
    List<String> outputColumns = OutputSchema.COLUMNS.stream().map(OutputSchema.Column::name).toList();
    for (String n : setting.listed()) {
      if (!inputColumns.contains(n)) {
        throw new IllegalArgumentException("output.keep_columns names '" + n + "', which " + source
            + " does not have (its columns: " + inputColumns + ")");
      }
    }
    List<String> wanted = setting.all() ? inputColumns : setting.listed();
    List<String> kept = new ArrayList<>();
    List<String> clashes = new ArrayList<>();
    for (String c : wanted) {
      if (alreadyInOutput(c, spec)) continue;
      if (clashes(c, outputColumns)) clashes.add(c);
      else kept.add(c);
    }
    if (!clashes.isEmpty()) {
      List<String> without = new ArrayList<>(wanted);
      without.removeAll(clashes);
      without.removeIf(c -> alreadyInOutput(c, spec));
      throw new IllegalArgumentException(source + " has column(s) " + quoted(clashes) + " named like output "
          + "column(s) of Tokenmill (" + String.join(", ", outputColumns) + ", and the partition column '"
          + PARTITION_COLUMN + "'); output columns never replace input columns silently: rename "
          + (clashes.size() == 1 ? "it" : "them") + " in the input, or leave " + (clashes.size() == 1 ? "it" : "them")
          + " out with output.keep_columns (e.g. " + (without.isEmpty() ? "none" : without.toString()) + ")");
    }
    return new KeptColumns(kept);
  }

  /** The id column named {@code id}, the reference column named {@code reference}: the output carries them. */
  private static boolean alreadyInOutput(String column, InputSpec spec) {
    return (column.equals(spec.idColumn()) && column.equals("id"))
        || (column.equals(spec.referenceColumn()) && column.equals("reference"));
  }

  private static boolean clashes(String column, List<String> outputColumns) {
    String c = column.toLowerCase(Locale.ROOT);
    if (c.equals(PARTITION_COLUMN)) return true;
    for (String o : outputColumns) if (o.toLowerCase(Locale.ROOT).equals(c)) return true;
    return false;
  }

  private static String quoted(List<String> names) {
    List<String> q = new ArrayList<>();
    for (String n : names) q.add("'" + n + "'");
    return String.join(", ", q);
  }

  public boolean isEmpty() {
    return names.isEmpty();
  }

  public int size() {
    return names.size();
  }
}
