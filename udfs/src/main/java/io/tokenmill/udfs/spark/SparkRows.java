package io.tokenmill.udfs.spark;

import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.udfs.rows.ColumnKind;
import io.tokenmill.udfs.rows.OutputSchema;
import io.tokenmill.udfs.rows.PromptRow;
import io.tokenmill.udfs.rows.ResultRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Conversions between Spark rows and the runner-neutral row types, and the Spark form of both schemas. */
public final class SparkRows {

  private SparkRows() {}

  /** The output contract as a Spark schema (from {@link OutputSchema#COLUMNS}). */
  public static final StructType OUTPUT = outputSchema();

  /** Normalised input rows as they travel between driver and executors. */
  public static final StructType PROMPTS = new StructType(new StructField[] {
      DataTypes.createStructField("id", DataTypes.StringType, false),
      DataTypes.createStructField("position", DataTypes.LongType, false),
      DataTypes.createStructField("bucket", DataTypes.IntegerType, false),
      DataTypes.createStructField("prompt", DataTypes.StringType, true),
      DataTypes.createStructField("messages", DataTypes.createArrayType(new StructType()
          .add("role", DataTypes.StringType, false).add("content", DataTypes.StringType, false), false), true),
      DataTypes.createStructField("system", DataTypes.StringType, true),
      DataTypes.createStructField("reference", DataTypes.StringType, true),
      DataTypes.createStructField("max_new_tokens", DataTypes.IntegerType, true),
      DataTypes.createStructField("temperature", DataTypes.DoubleType, true),
      DataTypes.createStructField("top_p", DataTypes.DoubleType, true),
      DataTypes.createStructField("seed", DataTypes.LongType, true),
      DataTypes.createStructField("thinking_budget", DataTypes.IntegerType, true),
      DataTypes.createStructField("min_tokens", DataTypes.IntegerType, true),
      DataTypes.createStructField("top_logprobs", DataTypes.IntegerType, true),
      DataTypes.createStructField("stop_token_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), true),
      DataTypes.createStructField("input_error", DataTypes.StringType, true)});

  /** The trailing struct column of a prompt row that carries the kept input columns (none when none are kept). */
  public static final String KEPT = "kept";

  /** {@link #PROMPTS} plus the kept input columns as one struct, so they cannot collide with its own names. */
  public static StructType promptsWith(StructType kept) {
    return kept.fields().length == 0 ? PROMPTS : PROMPTS.add(KEPT, kept, false);
  }

  /** An output row's schema: the kept input columns (names and types as in the input), then {@link #OUTPUT}. */
  public static StructType outputWith(StructType kept) {
    List<StructField> fields = new ArrayList<>(List.of(kept.fields()));
    fields.addAll(List.of(OUTPUT.fields()));
    return DataTypes.createStructType(fields);
  }

  /** The fields of {@code schema} named in {@code names}, in that order. */
  public static StructType select(StructType schema, List<String> names) {
    List<StructField> fields = new ArrayList<>();
    for (String n : names) fields.add(schema.fields()[schema.fieldIndex(n)]);
    return DataTypes.createStructType(fields);
  }

  private static StructType outputSchema() {
    List<StructField> fields = new ArrayList<>();
    for (OutputSchema.Column c : OutputSchema.COLUMNS) {
      DataType t = switch (c.type()) {
        case STRING -> DataTypes.StringType;
        case INT -> DataTypes.IntegerType;
        case LONG -> DataTypes.LongType;
        case BOOLEAN -> DataTypes.BooleanType;
        case INT_ARRAY -> DataTypes.createArrayType(DataTypes.IntegerType, false);
        case FLOAT_ARRAY -> DataTypes.createArrayType(DataTypes.FloatType, true);
      };
      fields.add(DataTypes.createStructField(c.name(), t, c.nullable()));
    }
    return DataTypes.createStructType(fields);
  }

  /** Column kinds of an input DataFrame's schema, in order. */
  public static Map<String, ColumnKind> kinds(StructType schema) {
    Map<String, ColumnKind> out = new LinkedHashMap<>();
    for (StructField f : schema.fields()) out.put(f.name(), kind(f.dataType()));
    return out;
  }

  private static ColumnKind kind(DataType t) {
    if (t.equals(DataTypes.StringType)) return ColumnKind.STRING;
    if (t instanceof NumericType) return ColumnKind.NUMBER;
    if (t instanceof ArrayType a && a.elementType() instanceof StructType s) {
      List<String> names = List.of(s.fieldNames());
      if (names.contains("role") && names.contains("content")) return ColumnKind.MESSAGES;
    }
    return ColumnKind.OTHER;
  }

  /** A raw input row as the normaliser sees it (array&lt;struct&gt; → list of maps). */
  public static Object value(Row row, int index) {
    if (row.isNullAt(index)) return null;
    Object v = row.get(index);
    if (v instanceof scala.collection.Seq<?> seq) {
      List<Object> out = new ArrayList<>();
      for (Object o : scala.jdk.javaapi.CollectionConverters.asJava(seq)) {
        if (o instanceof Row r) {
          Map<String, Object> m = new HashMap<>();
          for (String f : r.schema().fieldNames()) m.put(f, r.isNullAt(r.fieldIndex(f)) ? null : r.get(r.fieldIndex(f)));
          out.add(m);
        } else {
          out.add(o);
        }
      }
      return out;
    }
    return v;
  }

  public static Row toRow(PromptRow p) {
    Object messages = null;
    if (p.messages() != null) {
      List<Row> ms = new ArrayList<>();
      for (ChatMessage m : p.messages()) ms.add(RowFactory.create(m.role(), m.content()));
      messages = scala.jdk.javaapi.CollectionConverters.asScala(ms).toSeq();
    }
    PromptRow.Overrides o = p.overrides();
    return RowFactory.create(p.id(), p.position(), p.bucket(), p.prompt(), messages, p.system(), p.reference(),
        o.maxNewTokens(), o.temperature(), o.topP(), o.seed(), o.thinkingBudget(), o.minTokens(), o.topLogprobs(),
        seq(o.stopTokenIds()), p.inputError());
  }

  /** {@link #toRow(PromptRow)} plus the kept input columns ({@code source}'s fields at {@code keptAt}) as a struct. */
  public static Row toRow(PromptRow p, Row source, int[] keptAt) {
    Row base = toRow(p);
    if (keptAt.length == 0) return base;
    Object[] kept = new Object[keptAt.length];
    for (int i = 0; i < kept.length; i++) kept[i] = source.isNullAt(keptAt[i]) ? null : source.get(keptAt[i]);
    return withKept(base, kept);
  }

  /** A prompt row with the kept input columns' values appended as its trailing struct ({@link #promptsWith}). */
  public static Row withKept(Row prompt, Object[] kept) {
    Object[] v = new Object[prompt.length() + 1];
    for (int i = 0; i < prompt.length(); i++) v[i] = prompt.get(i);
    v[prompt.length()] = RowFactory.create(kept);
    return RowFactory.create(v);
  }

  public static PromptRow toPrompt(Row r) {
    List<ChatMessage> messages = null;
    if (!r.isNullAt(4)) {
      messages = new ArrayList<>();
      for (Row m : r.<Row>getList(4)) messages.add(new ChatMessage(m.getString(0), m.getString(1)));
    }
    PromptRow.Overrides o = new PromptRow.Overrides(
        r.isNullAt(7) ? null : r.getInt(7), r.isNullAt(8) ? null : r.getDouble(8),
        r.isNullAt(9) ? null : r.getDouble(9), r.isNullAt(10) ? null : r.getLong(10),
        r.isNullAt(11) ? null : r.getInt(11), r.isNullAt(12) ? null : r.getInt(12),
        r.isNullAt(13) ? null : r.getInt(13), r.isNullAt(14) ? null : r.<Integer>getList(14));
    return new PromptRow(r.getString(0), r.getLong(1), r.getInt(2), r.getString(3), messages, r.getString(5),
        r.getString(6), o, r.getString(15));
  }

  /** A result row for Spark. */
  public static Row toRow(ResultRow r) {
    return RowFactory.create(values(r));
  }

  /** A result row's values for a Spark row: list columns (token_ids, logprobs) as Scala sequences. */
  public static Object[] values(ResultRow r) {
    Object[] v = r.values();
    for (int i = 0; i < v.length; i++) if (v[i] instanceof List<?> l) v[i] = seq(l);
    return v;
  }

  public static ResultRow toResult(Row r) {
    Object[] v = new Object[r.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.isNullAt(i) ? null : r.get(i);
      if (v[i] instanceof scala.collection.Seq<?> s) v[i] = new ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(s));
    }
    return ResultRow.fromValues(v);
  }

  private static Object seq(List<?> list) {
    return list == null ? null : scala.jdk.javaapi.CollectionConverters.asScala(list).toSeq();
  }
}
