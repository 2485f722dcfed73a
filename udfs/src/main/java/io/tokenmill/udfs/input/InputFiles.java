package io.tokenmill.udfs.input;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The listing rules both runners apply to {@code input.path}, whatever file system they list it with: a
 * directory is walked recursively; files and directories whose names start with {@code _} or {@code .} are
 * skipped (Spark's {@code _SUCCESS}, {@code .crc} files, {@code _staging/}); the rest are read in the order of
 * their relative names. A file whose extension names another input format ({@code b.csv} in a {@code jsonl}
 * input) is a config error naming it; files without a known extension ({@code part-00000}) are read as the
 * configured format.
 */
public final class InputFiles {

  private InputFiles() {}

  /** Whether a file or directory with this name is left out of a directory input. */
  public static boolean skipped(String name) {
    return name.startsWith("_") || name.startsWith(".");
  }

  /** Whether the name ends in {@code .gz} (read through gzip). */
  public static boolean gzipped(String name) {
    return name.toLowerCase(Locale.ROOT).endsWith(".gz");
  }

  /** The input format a file name's extension names (parquet, jsonl, csv; {@code .gz} looked through), or null. */
  public static String formatOf(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".gz")) n = n.substring(0, n.length() - 3);
    if (n.endsWith(".parquet") || n.endsWith(".pq")) return "parquet";
    if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson")) return "jsonl";
    if (n.endsWith(".csv")) return "csv";
    return null;
  }

  /**
   * The files of an input in reading order, numbered.
   *
   * @param root input.path as given, for messages
   * @param directory whether input.path is a directory (a single named file is read as the configured format
   *     whatever its extension)
   * @param candidates (path, relative name) of every file the walk found, hidden names already skipped
   * @throws IllegalArgumentException when none is left, or one's extension names another format
   */
  public static List<InputFile> ordered(String root, String format, boolean directory, List<String[]> candidates) {
    List<String[]> sorted = new ArrayList<>(candidates);
    sorted.sort(Comparator.comparing((String[] c) -> c[1]));
    List<InputFile> out = new ArrayList<>();
    for (String[] c : sorted) {
      String f = formatOf(c[1]);
      if (directory && f != null && !f.equals(format)) {
        throw new IllegalArgumentException("input.path " + root + " holds " + c[1] + ", a " + f + " file, but the input "
            + "format is " + format + " (input.format); move it out or read the directory per format");
      }
      if (format.equals("parquet") && gzipped(c[1])) {
        throw new IllegalArgumentException("input " + c[1] + ": gzip applies to JSON Lines and CSV, not Parquet");
      }
      out.add(new InputFile(out.size(), c[0], c[1]));
    }
    if (out.isEmpty()) throw new IllegalArgumentException("input.path " + root + " holds no input files");
    return out;
  }

  /** The error for an input whose files hold no row at all (empty files, a CSV header alone). */
  public static IllegalArgumentException noRows(String root, int files) {
    return new IllegalArgumentException("input.path " + root + " holds no input rows (" + files + " file(s))");
  }
}
