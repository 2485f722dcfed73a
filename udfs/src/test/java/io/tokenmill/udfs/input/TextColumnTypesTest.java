package io.tokenmill.udfs.input;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.udfs.input.TextColumnTypes.Type;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Types of passed-through JSON Lines and CSV columns, from records read by the shared reader. */
class TextColumnTypesTest {

  static List<RawRecord> read(String name, String format, String text) throws IOException {
    InputFile f = new InputFile(0, "/x/" + name, name);
    return TextFileReader.read(f, new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), format).records();
  }

  @Test
  void jsonColumnsAreLongBooleanOrTheirText() throws IOException {
    List<RawRecord> records = read("a.jsonl", "jsonl", String.join("\n",
        "{\"n\": 1, \"b\": true, \"d\": 1.50, \"big\": 12345678901234567890, \"o\": {\"k\": [1, \"x\"]}, \"m\": 1}",
        "{\"n\": null, \"b\": false, \"d\": 2, \"m\": \"two\", \"nothing\": null}",
        "not json"));
    TextColumnTypes t = TextColumnTypes.of(records);
    assertEquals(Type.LONG, t.type("n"));
    assertEquals(Type.BOOLEAN, t.type("b"));
    for (String c : List.of("d", "big", "o", "m", "nothing", "never")) assertEquals(Type.STRING, t.type(c), c);
    var first = records.get(0).values();
    assertEquals("1.50", TextColumnTypes.convert(first.get("d"), Type.STRING));
    assertEquals("12345678901234567890", TextColumnTypes.convert(first.get("big"), Type.STRING));
    assertEquals("{\"k\":[1,\"x\"]}", TextColumnTypes.convert(first.get("o"), Type.STRING));
    assertEquals(1L, TextColumnTypes.convert(first.get("n"), Type.LONG));
    assertNull(TextColumnTypes.convert(null, Type.LONG));
    // files read apart and merged give the types of all of them
    TextColumnTypes other = TextColumnTypes.of(read("b.jsonl", "jsonl", "{\"n\": \"seven\", \"b\": true}"));
    assertEquals(Type.STRING, t.merge(other).type("n"));
    assertEquals(Type.BOOLEAN, t.merge(other).type("b"));
  }

  @Test
  void csvColumnsAreStrings() throws IOException {
    TextColumnTypes t = TextColumnTypes.of(read("a.csv", "csv", "id,n\n1,007\n2,\n"));
    assertEquals(Type.STRING, t.type("id"));
    assertEquals(Type.STRING, t.type("n"));
  }
}
