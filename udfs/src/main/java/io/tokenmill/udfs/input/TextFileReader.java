package io.tokenmill.udfs.input;

import io.tokenmill.udfs.rows.ColumnKind;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Reads one JSON Lines or CSV file into records — the one reader both runners use (the Arrow runner on local
 * files, the Spark runner on executors through Hadoop's FileSystem), so both give the same rows, positions
 * and messages. The stream is gunzipped when the name ends in {@code .gz}; a UTF-8 byte order mark is
 * skipped; each line is decoded on its own, so a bad byte makes one error record.
 *
 * <p>One record per non-blank JSON line (a line that is not exactly one JSON object is an error record) or
 * per CSV record after the header (a record with more or fewer fields than the header, text after a
 * closing quote, an unclosed quote: error records naming the line). The stream failing mid-file (a truncated
 * gzip) ends the file with one error record naming the line from which the rest could not be read.
 *
 * @throws IllegalArgumentException for what makes the whole file unusable: not gzip although named so, a
 *     CSV header that cannot be read, is empty or repeats a column
 */
public final class TextFileReader {

  private TextFileReader() {}

  public static FileRead read(InputFile file, InputStream raw, String format) throws IOException {
    InputStream in = raw;
    if (InputFiles.gzipped(file.name())) {
      try {
        in = new GZIPInputStream(raw, 1 << 16);
      } catch (IOException e) {
        throw new IllegalArgumentException("input " + file.name() + " is named .gz but cannot be read as gzip: "
            + e.getMessage());
      }
    } else {
      in = new BufferedInputStream(raw, 1 << 16);
    }
    TextLines lines = new TextLines(in);
    return switch (format) {
      case "jsonl" -> jsonl(file, lines);
      case "csv" -> csv(file, lines);
      default -> throw new IllegalArgumentException("input.format " + format + " is not a text format");
    };
  }

  private static FileRead jsonl(InputFile file, TextLines lines) {
    List<RawRecord> out = new ArrayList<>();
    LinkedHashMap<String, ColumnKind> kinds = new LinkedHashMap<>();
    int lastLine = 0;
    try {
      TextLines.Line line;
      while ((line = lines.next()) != null) {
        lastLine = line.number();
        if (line.malformed() == null && line.text().isBlank()) continue;
        String where = file.name() + " line " + line.number();
        if (line.malformed() != null) {
          out.add(new RawRecord(file.index(), out.size(), where, Map.of(), line.malformed()));
          continue;
        }
        try {
          Map<String, Object> values = JsonLine.parse(line.text());
          ColumnKinds.observe(kinds, values);
          out.add(new RawRecord(file.index(), out.size(), where, values, null));
        } catch (JsonLine.BadLine e) {
          out.add(new RawRecord(file.index(), out.size(), where, Map.of(), e.getMessage()));
        }
      }
    } catch (IOException e) {
      out.add(unreadableRest(file, out.size(), lastLine + 1, e));
    }
    return new FileRead(new FileSummary(file.index(), file.name(), out.size(), null, kinds), out);
  }

  private static FileRead csv(InputFile file, TextLines lines) {
    List<RawRecord> out = new ArrayList<>();
    CsvRecords records = new CsvRecords(lines);
    List<String> header = null;
    int lastLine = 0;
    try {
      CsvRecords.Record r = records.next(-1);
      if (r == null) return new FileRead(new FileSummary(file.index(), file.name(), 0, null, new LinkedHashMap<>()), out);
      header = header(file, r);
      lastLine = r.lastLine();
      while ((r = records.next(header.size())) != null) {
        lastLine = r.lastLine();
        String where = file.name() + (r.firstLine() == r.lastLine() ? " line " + r.firstLine()
            : " lines " + r.firstLine() + "-" + r.lastLine());
        String error = r.error();
        if (error != null) {
          out.add(new RawRecord(file.index(), out.size(), where, Map.of(), error));
          continue;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (int c = 0; c < header.size(); c++) values.put(header.get(c), r.fields().get(c));
        out.add(new RawRecord(file.index(), out.size(), where, values, null));
      }
    } catch (IOException e) {
      if (header == null) throw new IllegalArgumentException("input " + file.name() + " cannot be read: " + e.getMessage());
      out.add(unreadableRest(file, out.size(), lastLine + 1, e));
    }
    LinkedHashMap<String, ColumnKind> kinds = new LinkedHashMap<>();
    for (String h : header) kinds.put(h, ColumnKind.STRING);
    return new FileRead(new FileSummary(file.index(), file.name(), out.size(), header, kinds), out);
  }

  private static List<String> header(InputFile file, CsvRecords.Record r) {
    String where = "input " + file.name() + " line " + r.firstLine() + " (the CSV header)";
    if (r.error() != null) throw new IllegalArgumentException(where + ": " + r.error());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < r.fields().size(); i++) {
      String h = r.fields().get(i);
      if (h == null || h.isBlank()) throw new IllegalArgumentException(where + ": column " + (i + 1) + " has no name");
      if (!seen.add(h)) throw new IllegalArgumentException(where + ": the column '" + h + "' appears twice");
    }
    return List.copyOf(r.fields());
  }

  private static RawRecord unreadableRest(InputFile file, int index, int fromLine, IOException e) {
    return new RawRecord(file.index(), index, file.name() + " line " + fromLine,
        Map.of(), "the rest of the file, from this line on, cannot be read: " + e.getMessage());
  }
}
