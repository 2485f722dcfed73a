package io.tokenmill.jobs.local;

import io.tokenmill.udfs.input.RawRecord;
import io.tokenmill.udfs.rows.ColumnKind;
import java.util.List;
import java.util.Map;

/**
 * An input read whole by the local runner: column kinds (for the driver-side schema check), the records of
 * every file in reading order, and each file's first row position ({@link
 * io.tokenmill.udfs.input.InputPositions}).
 */
record InputTable(Map<String, ColumnKind> kinds, List<RawRecord> records, long[] offsets) {}
