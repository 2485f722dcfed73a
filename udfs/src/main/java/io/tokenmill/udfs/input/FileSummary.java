package io.tokenmill.udfs.input;

import io.tokenmill.udfs.rows.ColumnKind;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * What the driver needs to know about one read file: how many records it gave (row positions count files in
 * order), its CSV header, and the kinds of the values its rows held (null = only nulls seen), for the
 * driver-side schema check.
 */
public record FileSummary(int file, String name, long records, List<String> header,
    LinkedHashMap<String, ColumnKind> kinds) implements Serializable {}
