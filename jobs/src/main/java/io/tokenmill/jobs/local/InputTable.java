package io.tokenmill.jobs.local;

import io.tokenmill.udfs.input.RawRecord;
import io.tokenmill.udfs.rows.ColumnKind;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * An input read whole by the local runner: column kinds (for the driver-side schema check), the records of
 * every file in reading order (a record's position is its index here), each file's first row position ({@link
 * io.tokenmill.udfs.input.InputPositions}) and, for Parquet, the input's own Arrow batches, so that passed-through
 * columns keep their exact types ({@link KeptValues}).
 */
record InputTable(Map<String, ColumnKind> kinds, List<RawRecord> records, long[] offsets, ParquetBatches parquet)
    implements AutoCloseable {

  /** A Parquet input's batches, by the position of each batch's first row; every file has {@code schema}. */
  record ParquetBatches(Schema schema, TreeMap<Long, VectorSchemaRoot> byFirstPosition) {}

  @Override
  public void close() {
    if (parquet != null) parquet.byFirstPosition().values().forEach(VectorSchemaRoot::close);
  }
}
