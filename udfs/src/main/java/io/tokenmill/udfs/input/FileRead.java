package io.tokenmill.udfs.input;

import java.io.Serializable;
import java.util.List;

/** One text file read whole: its summary and its records in file order. */
public record FileRead(FileSummary summary, List<RawRecord> records) implements Serializable {}
