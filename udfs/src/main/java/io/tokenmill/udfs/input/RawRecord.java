package io.tokenmill.udfs.input;

import java.io.Serializable;
import java.util.Map;

/**
 * One input record as a reader produced it, before normalisation: its column values (String, Long,
 * BigDecimal, Boolean, List, Map or null; numbers exact, never through double) or, when the record could not
 * be read at all, {@code error}.
 *
 * @param file the file's index in the sorted listing
 * @param index the record's index within its file (0-based, error records included)
 * @param where the record in words for messages: {@code sub/in.jsonl line 3}, {@code in.csv lines 4-6},
 *     {@code in.parquet row 7}
 */
public record RawRecord(int file, long index, String where, Map<String, Object> values, String error)
    implements Serializable {}
