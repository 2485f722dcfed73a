package io.tokenmill.udfs.input;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of a UTF-8 text stream, decoded one line at a time so that a bad byte spoils only its own line:
 * a line that is not valid UTF-8 comes back with {@link Line#malformed} saying where (its text has U+FFFD in
 * place of the bad bytes). Lines end at {@code \n}; a {@code \r} before it is dropped; a UTF-8 byte order
 * mark at the start of the stream is skipped.
 */
final class TextLines {

  /** One line: its 1-based number, its text without the line end, and why it is not UTF-8 (else null). */
  record Line(int number, String text, String malformed) {}

  private final InputStream in;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int end;
  private boolean eof;
  private byte[] line = new byte[256];
  private int number;
  private final CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

  TextLines(InputStream in) {
    this.in = in;
  }

  /** The next line, or null at the end of the stream. */
  Line next() throws IOException {
    int len = 0;
    boolean any = false;
    while (true) {
      if (pos == end) {
        if (eof || !fill()) {
          eof = true;
          if (!any) return null;
          break;
        }
      }
      any = true;
      int nl = -1;
      for (int i = pos; i < end; i++) {
        if (buf[i] == '\n') {
          nl = i;
          break;
        }
      }
      int stop = nl < 0 ? end : nl;
      len = append(len, stop - pos);
      pos = nl < 0 ? end : nl + 1;
      if (nl >= 0) break;
    }
    number++;
    int start = 0;
    if (number == 1 && len >= 3 && (line[0] & 0xff) == 0xEF && (line[1] & 0xff) == 0xBB && (line[2] & 0xff) == 0xBF) {
      start = 3; // byte order mark
    }
    if (len > start && line[len - 1] == '\r') len--;
    return decode(start, len);
  }

  private boolean fill() throws IOException {
    int n;
    do {
      n = in.read(buf, 0, buf.length);
    } while (n == 0);
    if (n < 0) return false;
    pos = 0;
    end = n;
    return true;
  }

  private int append(int len, int count) {
    if (len + count > line.length) line = Arrays.copyOf(line, Math.max(line.length * 2, len + count));
    System.arraycopy(buf, pos, line, len, count);
    return len + count;
  }

  private Line decode(int start, int len) {
    ByteBuffer bytes = ByteBuffer.wrap(line, start, len - start);
    CharBuffer chars = CharBuffer.allocate(len - start);
    strict.reset();
    CoderResult r = strict.decode(bytes, chars, true);
    if (!r.isError()) r = strict.flush(chars);
    if (!r.isError()) return new Line(number, chars.flip().toString(), null);
    String why = "not valid UTF-8 (byte " + (bytes.position() - start + 1) + " of the line)";
    String text = new String(line, start, len - start, StandardCharsets.UTF_8); // bad bytes → U+FFFD
    return new Line(number, text, why);
  }
}
