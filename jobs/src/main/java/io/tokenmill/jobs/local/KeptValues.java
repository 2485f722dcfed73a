package io.tokenmill.jobs.local;

import io.tokenmill.udfs.input.RawRecord;
import io.tokenmill.udfs.input.TextColumnTypes;
import io.tokenmill.udfs.rows.KeptColumns;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * The local runner's passed-through input columns ({@code output.keep_columns}): their Arrow fields and, for an
 * output row, the values of the input row it came from. A Parquet input's values are copied vector to vector
 * from the input's own batches, so every type (nested ones too) is written as it was read, as Spark does; a JSON
 * Lines or CSV input's values are converted by {@link TextColumnTypes}, the rule the Spark runner applies.
 */
final class KeptValues {

  private final InputTable table;
  private final List<String> names;
  private final List<Field> fields = new ArrayList<>();
  private final TextColumnTypes.Type[] textTypes;

  KeptValues(InputTable table, KeptColumns kept) {
    this.table = table;
    this.names = kept.names();
    this.textTypes = new TextColumnTypes.Type[names.size()];
    TextColumnTypes types = table.parquet() == null ? TextColumnTypes.of(table.records()) : null;
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      if (table.parquet() != null) {
        Field f = table.parquet().schema().findField(n);
        fields.add(new Field(n, FieldType.nullable(f.getType()), f.getChildren()));
      } else {
        textTypes[i] = types.type(n);
        ArrowType t = switch (textTypes[i]) {
          case LONG -> new ArrowType.Int(64, true);
          case BOOLEAN -> ArrowType.Bool.INSTANCE;
          case STRING -> ArrowType.Utf8.INSTANCE;
        };
        fields.add(new Field(n, FieldType.nullable(t), null));
      }
    }
  }

  /** The kept columns' fields, in output order. */
  List<Field> fields() {
    return fields;
  }

  /** Writes the kept values of the input row at {@code position} into row {@code row} of {@code vectors}. */
  void copy(long position, int row, List<FieldVector> vectors) {
    if (table.parquet() != null) {
      var batch = table.parquet().byFirstPosition().floorEntry(position);
      int index = (int) (position - batch.getKey());
      for (int i = 0; i < names.size(); i++) {
        vectors.get(i).copyFromSafe(index, row, batch.getValue().getVector(names.get(i)));
      }
      return;
    }
    RawRecord r = table.records().get((int) position);
    Map<String, Object> values = r.values();
    for (int i = 0; i < names.size(); i++) {
      Object v = TextColumnTypes.convert(values.get(names.get(i)), textTypes[i]);
      FieldVector vector = vectors.get(i);
      if (v == null) vector.setNull(row);
      else if (vector instanceof VarCharVector s) s.setSafe(row, ((String) v).getBytes(StandardCharsets.UTF_8));
      else if (vector instanceof BigIntVector l) l.setSafe(row, (Long) v);
      else if (vector instanceof BitVector b) b.setSafe(row, (Boolean) v ? 1 : 0);
      else throw new IllegalStateException("unexpected vector " + vector);
    }
  }

  boolean isEmpty() {
    return names.isEmpty();
  }
}
