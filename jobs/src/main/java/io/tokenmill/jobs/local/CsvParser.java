package io.tokenmill.jobs.local;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/** RFC 4180 CSV: comma-separated, fields may be quoted, "" is a quote inside a quoted field, which may span lines. */
final class CsvParser {

  private CsvParser() {}

  static List<List<String>> parse(Reader in, String name) throws IOException {
    List<List<String>> records = new ArrayList<>();
    List<String> record = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean fieldStarted = false;
    int line = 1;
    int c;
    while ((c = in.read()) != -1) {
      char ch = (char) c;
      if (quoted) {
        if (ch == '"') {
          int next = in.read();
          if (next == '"') {
            field.append('"');
          } else {
            quoted = false;
            if (next == -1) break;
            ch = (char) next;
            if (ch != ',' && ch != '\n' && ch != '\r') {
              throw new IllegalArgumentException(name + " line " + line + ": text after a closing quote");
            }
            // fall through to handle the separator below
            if (ch == ',') {
              record.add(field.toString());
              field.setLength(0);
              fieldStarted = false;
            } else {
              if (ch == '\n') line++;
              endRecord(records, record, field, fieldStarted || !record.isEmpty());
              record = new ArrayList<>();
              fieldStarted = false;
            }
          }
        } else {
          if (ch == '\n') line++;
          field.append(ch);
        }
        continue;
      }
      switch (ch) {
        case '"' -> {
          if (field.length() > 0) throw new IllegalArgumentException(name + " line " + line + ": quote inside an unquoted field");
          quoted = true;
          fieldStarted = true;
        }
        case ',' -> {
          record.add(field.toString());
          field.setLength(0);
          fieldStarted = false;
        }
        case '\r' -> { }
        case '\n' -> {
          line++;
          endRecord(records, record, field, fieldStarted || !record.isEmpty() || field.length() > 0);
          record = new ArrayList<>();
          fieldStarted = false;
        }
        default -> {
          field.append(ch);
          fieldStarted = true;
        }
      }
    }
    if (quoted) throw new IllegalArgumentException(name + ": a quoted field is not closed at the end of the file");
    endRecord(records, record, field, fieldStarted || !record.isEmpty() || field.length() > 0);
    return records;
  }

  private static void endRecord(List<List<String>> records, List<String> record, StringBuilder field, boolean nonEmpty) {
    if (!nonEmpty) {
      field.setLength(0);
      return; // blank line
    }
    record.add(field.toString());
    field.setLength(0);
    records.add(record);
  }
}
