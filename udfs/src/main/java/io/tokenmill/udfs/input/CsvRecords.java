package io.tokenmill.udfs.input;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * CSV records (RFC 4180) from the lines of a file: fields separated by commas, optionally quoted; {@code ""}
 * is a quote inside a quoted field, which may span lines (joined with {@code \n}). A quote inside an unquoted
 * field is kept as text. Blank lines between records are skipped.
 *
 * <p>Bad records never take good ones with them: text after a closing quote, a field count other than the
 * header's, or a line that is not UTF-8 makes that record an error. A stray quote would otherwise join lines:
 * when a record that spans lines is bad (a quoted field still open at the end of the file, or one that closes
 * lines later followed by text or a wrong field count), only its first line is reported as an error and the
 * lines after it are read again as records of their own, so a stray quote never swallows rows silently.
 */
final class CsvRecords {

  /** A record: the lines it spans, its fields (null for an unquoted empty field), and why it is bad (else null). */
  record Record(int firstLine, int lastLine, List<String> fields, String error) {}

  private final TextLines source;
  private final Deque<TextLines.Line> reread = new ArrayDeque<>();

  CsvRecords(TextLines source) {
    this.source = source;
  }

  private TextLines.Line nextLine() throws IOException {
    return reread.isEmpty() ? source.next() : reread.pollFirst();
  }

  /** The next record, or null at the end of the file; {@code expectedFields} < 0 accepts any count (the header). */
  Record next(int expectedFields) throws IOException {
    TextLines.Line first;
    do {
      first = nextLine();
      if (first == null) return null;
    } while (first.text().isEmpty() && first.malformed() == null);

    List<TextLines.Line> lines = new ArrayList<>();
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    String error = null;
    String utf8 = null;
    boolean quoted = false; // inside a quoted field
    boolean wasQuoted = false; // the current field started with a quote
    boolean afterQuote = false; // the current field's closing quote was seen
    TextLines.Line line = first;
    while (true) {
      lines.add(line);
      if (line.malformed() != null && utf8 == null) utf8 = "line " + line.number() + ": " + line.malformed();
      String s = line.text();
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (quoted) {
          if (c != '"') {
            field.append(c);
          } else if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else {
            quoted = false;
            afterQuote = true;
          }
        } else if (c == ',') {
          fields.add(wasQuoted || field.length() > 0 ? field.toString() : null);
          field.setLength(0);
          wasQuoted = false;
          afterQuote = false;
        } else if (c == '"' && field.length() == 0 && !wasQuoted) {
          quoted = true;
          wasQuoted = true;
        } else {
          if (afterQuote && error == null) {
            error = "text after a closing quote (line " + line.number() + ", column " + (i + 1) + ")";
          }
          field.append(c);
        }
      }
      if (!quoted) break;
      TextLines.Line more = nextLine();
      if (more == null) {
        // The quoted field never closes: report the record's first line, read the following lines again.
        for (int k = lines.size() - 1; k >= 1; k--) reread.addFirst(lines.get(k));
        return new Record(first.number(), first.number(), List.of(), "a quoted field opened on line "
            + first.number() + " is not closed before the end of the file (line " + line.number() + "); the lines "
            + "after it are read as records of their own");
      }
      field.append('\n');
      line = more;
    }
    fields.add(wasQuoted || field.length() > 0 ? field.toString() : null);
    if (error == null && expectedFields >= 0 && fields.size() != expectedFields) {
      error = "the record has " + fields.size() + " field(s), the header has " + expectedFields;
    }
    if (error != null && utf8 == null && lines.size() > 1) {
      for (int k = lines.size() - 1; k >= 1; k--) reread.addFirst(lines.get(k));
      return new Record(first.number(), first.number(), List.of(), "a quoted field opened on line " + first.number()
          + " runs to line " + line.number() + " and the record is bad there (" + error + "); the lines after line "
          + first.number() + " are read as records of their own");
    }
    return new Record(first.number(), line.number(), fields, utf8 != null ? utf8 : error);
  }
}
