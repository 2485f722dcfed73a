package io.tokenmill.udfs.input;

import io.tokenmill.udfs.rows.InputNormalizer;
import io.tokenmill.udfs.rows.PromptRow;
import java.util.List;

/**
 * Row positions, the same on both runners: files in listing order, records in file order, counted from 0
 * across the whole input ({@code offsets[file] + record index}). {@code input.limit} keeps positions below it.
 */
public final class InputPositions {

  private InputPositions() {}

  /** The position of each file's first record, by file index, from record counts in file order. */
  public static long[] offsets(List<Long> recordsPerFile) {
    long[] out = new long[recordsPerFile.size()];
    long next = 0;
    for (int i = 0; i < out.length; i++) {
      out[i] = next;
      next += recordsPerFile.get(i);
    }
    return out;
  }

  /** A read record as a prompt row at its position: normalised, or an error row when it could not be read. */
  public static PromptRow prompt(InputNormalizer normalizer, RawRecord r, long[] offsets) {
    long position = offsets[r.file()] + r.index();
    return r.error() != null ? normalizer.unreadable(position, r.where(), r.error())
        : normalizer.normalize(r.values()::get, position, r.where());
  }
}
