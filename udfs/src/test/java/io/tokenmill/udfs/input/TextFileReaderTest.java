package io.tokenmill.udfs.input;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.udfs.rows.ColumnKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** The shared JSON Lines / CSV reader: one bad record never takes others with it, nor fails the file. */
class TextFileReaderTest {

  static FileRead read(String name, byte[] bytes, String format) throws IOException {
    return TextFileReader.read(new InputFile(0, "/x/" + name, name), new ByteArrayInputStream(bytes), format);
  }

  static FileRead read(String name, String text, String format) throws IOException {
    return read(name, text.getBytes(StandardCharsets.UTF_8), format);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void jsonLineWithTwoObjectsIsOneErrorRecordNamingTheLine() throws IOException {
    FileRead r = read("in.jsonl", "{\"id\":\"a\",\"prompt\":\"x\"}\n{\"id\":\"b\",\"prompt\":\"y\"}{\"id\":\"c\",\"prompt\":\"z\"}\n"
        + "{\"id\":\"d\",\"prompt\":\"w\"}\n", "jsonl");
    assertEquals(3, r.records().size());
    RawRecord bad = r.records().get(1);
    assertEquals("in.jsonl line 2", bad.where());
    assertTrue(bad.error().contains("more than one JSON value"), bad.error());
    assertEquals("d", r.records().get(2).values().get("id"));
  }

  @Test
  void invalidUtf8SpoilsOnlyItsLine() throws IOException {
    byte[] bytes = concat(utf8("{\"id\":\"a\",\"prompt\":\"x\"}\n{\"id\":\"b\",\"prompt\":\""), new byte[] {(byte) 0xff},
        utf8("\"}\n{\"id\":\"c\",\"prompt\":\"z\"}\n"));
    FileRead r = read("in.jsonl", bytes, "jsonl");
    assertEquals(3, r.records().size());
    assertEquals("in.jsonl line 2", r.records().get(1).where());
    assertTrue(r.records().get(1).error().contains("not valid UTF-8 (byte 21"), r.records().get(1).error());
    assertNull(r.records().get(2).error());
  }

  @Test
  void numbersKeepTheirDigits() throws IOException {
    FileRead r = read("in.jsonl", "{\"id\": 1234567890123456789, \"x\": 10000000000000002, \"y\": 123456789012345678901234567890,"
        + " \"z\": 1.50}\n", "jsonl");
    Map<String, Object> v = r.records().get(0).values();
    assertEquals(1234567890123456789L, v.get("id"));
    assertEquals(10000000000000002L, v.get("x"));
    assertEquals(new BigDecimal("123456789012345678901234567890"), v.get("y"));
    assertEquals(new BigDecimal("1.50"), v.get("z"));
  }

  @Test
  void mixedKindsMakeAStringColumnAndDuplicateKeysAnError() throws IOException {
    FileRead r = read("in.jsonl", "{\"prompt\":\"x\"}\n{\"prompt\":true}\n{\"prompt\":\"a\",\"prompt\":\"b\"}\n\n[1]\n", "jsonl");
    assertEquals(ColumnKind.STRING, r.summary().kinds().get("prompt"), "a bool decides no kind");
    assertEquals(4, r.records().size(), "the blank line is no record");
    assertTrue(r.records().get(2).error().contains("'prompt' appears twice"), r.records().get(2).error());
    assertEquals("in.jsonl line 5", r.records().get(3).where());
    assertTrue(r.records().get(3).error().contains("not a JSON object (it starts with an array)"));
  }

  @Test
  void bomIsSkippedAndGzipRead() throws IOException {
    byte[] csv = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8("id,prompt\r\n7,hi\r\n"));
    FileRead plain = read("in.csv", csv, "csv");
    assertEquals(List.of("id", "prompt"), plain.summary().header());
    assertEquals("7", plain.records().get(0).values().get("id"));
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(csv);
    }
    assertEquals(plain.records(), read("in.csv.gz", gz.toByteArray(), "csv").records().stream()
        .map(x -> new RawRecord(x.file(), x.index(), x.where().replace(".csv.gz", ".csv"), x.values(), x.error()))
        .toList());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read("in.csv.gz", csv, "csv"));
    assertTrue(e.getMessage().contains("in.csv.gz") && e.getMessage().contains("gzip"), e.getMessage());
    byte[] cut = Arrays.copyOf(gz.toByteArray(), gz.size() - 12);
    FileRead truncated = read("in.csv.gz", cut, "csv");
    RawRecord last = truncated.records().get(truncated.records().size() - 1);
    assertTrue(last.error() != null && last.error().contains("cannot be read"), String.valueOf(last));
  }

  @Test
  void csvUnclosedQuoteIsReportedAndTheFollowingLinesStillRead() throws IOException {
    FileRead r = read("in.csv", "id,prompt\na,fine\nb,\"never closed\nc,also fine\nd,\"multi\nline\"\n", "csv");
    assertEquals(4, r.records().size(), r.records().toString());
    // the quote opened on line 3 closes on line 5 ("d,\"multi" read as its end): still only line 3 is lost
    assertEquals("in.csv line 3", r.records().get(1).where());
    assertTrue(r.records().get(1).error().contains("opened on line 3"), r.records().get(1).error());
    assertEquals("also fine", r.records().get(2).values().get("prompt"));
    assertEquals("in.csv lines 5-6", r.records().get(3).where());
    assertEquals("multi\nline", r.records().get(3).values().get("prompt"));
    FileRead atEnd = read("in.csv", "id,prompt\na,fine\nb,\"never closed\nc,also fine\n", "csv");
    assertEquals(3, atEnd.records().size(), atEnd.records().toString());
    assertTrue(atEnd.records().get(1).error().contains("not closed before the end of the file"));
    assertEquals("c", atEnd.records().get(2).values().get("id"));
  }

  @Test
  void csvRaggedRowsAndTextAfterQuotesAreErrorRecords() throws IOException {
    FileRead r = read("in.csv", "id,prompt\na,x,extra\nb\nc,\"q\"tail\nd,\"say \"\"hi\"\"\",\ne,,\n", "csv");
    assertTrue(r.records().get(0).error().contains("3 field(s), the header has 2"));
    assertTrue(r.records().get(1).error().contains("1 field(s)"));
    assertTrue(r.records().get(2).error().contains("text after a closing quote"), r.records().get(2).error());
    assertTrue(r.records().get(3).error().contains("3 field(s)"));
    assertEquals("in.csv line 6", r.records().get(4).where());
  }

  @Test
  void csvValuesAreTextAndEmptyFieldsNull() throws IOException {
    FileRead r = read("in.csv", "id,prompt,reference\n0012345678901234567890,hi,007\n3,\"\",\n", "csv");
    assertEquals("0012345678901234567890", r.records().get(0).values().get("id"));
    assertEquals("007", r.records().get(0).values().get("reference"));
    assertEquals("", r.records().get(1).values().get("prompt"), "a quoted empty field is an empty string");
    assertNull(r.records().get(1).values().get("reference"));
    assertEquals(ColumnKind.STRING, r.summary().kinds().get("id"));
  }

  @Test
  void unusableHeadersFailNamingTheFile() {
    for (String bad : List.of("id,prompt,id\n", "id,,prompt\n", "id,\"prompt\n")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read("h.csv", bad, "csv"));
      assertTrue(e.getMessage().contains("h.csv line 1"), e.getMessage());
    }
  }

  @Test
  void listingRulesSortSkipAndRejectOtherFormats() {
    List<InputFile> files = InputFiles.ordered("/in", "jsonl", true, List.of(new String[] {"/in/b/c.jsonl", "b/c.jsonl"},
        new String[] {"/in/a.jsonl.gz", "a.jsonl.gz"}, new String[] {"/in/part-0", "part-0"}));
    assertEquals(List.of("a.jsonl.gz", "b/c.jsonl", "part-0"), files.stream().map(InputFile::name).toList());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputFiles.ordered("/in", "jsonl",
        true, List.<String[]>of(new String[] {"/in/a.jsonl", "a.jsonl"}, new String[] {"/in/b.csv", "b.csv"})));
    assertTrue(e.getMessage().contains("b.csv") && e.getMessage().contains("input.format"), e.getMessage());
    assertTrue(InputFiles.skipped("_SUCCESS") && InputFiles.skipped(".part-0.crc") && !InputFiles.skipped("a.csv"));
  }
}
