package io.tokenmill.jobs.local;

import io.tokenmill.udfs.rows.ColumnKind;
import java.util.List;
import java.util.Map;

/**
 * An input file read whole by the local runner: column kinds (for the driver-side schema check) and rows as
 * column → value maps (String, Number, List of Map for messages, or null). A row the reader could not parse
 * at all carries {@code readError}.
 */
record InputTable(Map<String, ColumnKind> kinds, List<Row> rows) {
  record Row(Map<String, Object> values, String readError) {}
}
