package io.tokenmill.udfs.rows;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rows to PromptRows: ids, messages, overrides, and errors that name the column instead of throwing. */
class InputNormalizerTest {

  static InputNormalizer normalizer(Map<String, ColumnKind> schema) {
    return new InputNormalizer(InputSpec.DEFAULT.check(schema, "test"));
  }

  static Map<String, ColumnKind> schema(Object... kv) {
    Map<String, ColumnKind> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (ColumnKind) kv[i + 1]);
    return m;
  }

  @Test
  void idsAreTheColumnOrAStableContentHash() {
    InputNormalizer withId = normalizer(schema("id", ColumnKind.NUMBER, "prompt", ColumnKind.STRING));
    assertEquals("17", withId.normalize(Map.<String, Object>of("id", 17.0, "prompt", "x")::get, 0).id());
    InputNormalizer noId = normalizer(schema("prompt", ColumnKind.STRING));
    PromptRow a = noId.normalize(Map.<String, Object>of("prompt", "same")::get, 0);
    PromptRow b = noId.normalize(Map.<String, Object>of("prompt", "same")::get, 9);
    assertEquals(a.id(), b.id(), "content hash, independent of position");
    assertTrue(a.id().matches("h[0-9a-f]{16}"), a.id());
    assertEquals(a.bucket(), InputNormalizer.bucket(a.id()));
    assertTrue(a.bucket() >= 0 && a.bucket() < PromptRow.BUCKETS);
  }

  @Test
  void messagesFromStructsOrJson() {
    InputNormalizer n = normalizer(schema("messages", ColumnKind.STRING));
    PromptRow r = n.normalize(Map.<String, Object>of("messages",
        "[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"u\"}]")::get, 0);
    assertNull(r.inputError());
    assertEquals(2, r.messages().size());
    PromptRow bad = n.normalize(Map.<String, Object>of("messages", "[{\"content\":\"u\"}]")::get, 1);
    assertTrue(bad.inputError().contains("'messages'") && bad.inputError().contains("no role"), bad.inputError());
    InputNormalizer structs = normalizer(schema("messages", ColumnKind.MESSAGES));
    PromptRow s = structs.normalize(Map.<String, Object>of("messages",
        List.of(Map.of("role", "user", "content", "hello")))::get, 0);
    assertEquals("hello", s.messages().get(0).content());
  }

  @Test
  void minTokensTopLogprobsAndStopTokenIdsPerRow() {
    InputNormalizer n = normalizer(schema("prompt", ColumnKind.STRING, "min_tokens", ColumnKind.NUMBER,
        "top_logprobs", ColumnKind.NUMBER, "stop_token_ids", ColumnKind.OTHER));
    Map<String, Object> row = new HashMap<>(Map.of("prompt", "p", "min_tokens", 0, "top_logprobs", 3,
        "stop_token_ids", List.of(151643L, 198)));
    PromptRow ok = n.normalize(row::get, 0);
    assertNull(ok.inputError());
    assertEquals(new PromptRow.Overrides(null, null, null, null, null, 0, 3, List.of(151643, 198)), ok.overrides());
    for (Object text : List.of("[151643, 198]", "151643, 198", " 151643,198 ")) {
      row.put("stop_token_ids", text);
      assertEquals(List.of(151643, 198), n.normalize(row::get, 0).overrides().stopTokenIds(), text.toString());
    }
    row.put("stop_token_ids", "[1, -2]");
    row.put("top_logprobs", 21);
    row.put("min_tokens", 1.5);
    String error = n.normalize(row::get, 4, "in.jsonl line 5").inputError();
    assertTrue(error.startsWith("in.jsonl line 5: "), error);
    assertTrue(error.contains("override column 'stop_token_ids' holds '-2', not a token id"), error);
    assertTrue(error.contains("override column 'top_logprobs' is out of range: 21 (must be a whole number in [0, 20])"),
        error);
    assertTrue(error.contains("override column 'min_tokens' must be a whole number, got 1.5"), error);
    row.put("stop_token_ids", Map.of("a", 1));
    assertTrue(n.normalize(row::get, 0).inputError().contains("'stop_token_ids' holds an object"));
    assertThrows(IllegalArgumentException.class, () -> normalizer(schema("prompt", ColumnKind.STRING,
        "stop_token_ids", ColumnKind.MESSAGES)), "an array of structs is no list of ids");
  }

  @Test
  void overridesAreTypedOrNamedInTheError() {
    InputNormalizer n = normalizer(schema("prompt", ColumnKind.STRING, "max_new_tokens", ColumnKind.STRING,
        "temperature", ColumnKind.NUMBER, "seed", ColumnKind.NUMBER));
    Map<String, Object> row = new HashMap<>(Map.of("prompt", "p", "max_new_tokens", "64", "temperature", 0.5,
        "seed", 3L));
    PromptRow ok = n.normalize(row::get, 0);
    assertEquals(new PromptRow.Overrides(64, 0.5, null, 3L, null), ok.overrides());
    row.put("max_new_tokens", "lots");
    assertTrue(n.normalize(row::get, 0).inputError().contains("'max_new_tokens' is not a number"));
    row.put("max_new_tokens", 1.5);
    assertTrue(n.normalize(row::get, 0).inputError().contains("must be a whole number"));
  }

  @Test
  void schemaProblemsNameColumnAndKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InputSpec.DEFAULT.check(schema("id", ColumnKind.STRING, "question", ColumnKind.STRING), "in.jsonl"));
    assertTrue(e.getMessage().contains("in.jsonl") && e.getMessage().contains("input.prompt_column"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> InputSpec.DEFAULT.check(schema("prompt", ColumnKind.NUMBER), "t"));
    assertTrue(e.getMessage().contains("column 'prompt'") && e.getMessage().contains("NUMBER"), e.getMessage());
  }

  @Test
  void oddTypesAreErrorRowsNamingTheRowAndColumn() {
    InputNormalizer n = normalizer(schema("id", ColumnKind.STRING, "prompt", ColumnKind.STRING,
        "messages", ColumnKind.STRING, "max_new_tokens", ColumnKind.NUMBER, "seed", ColumnKind.NUMBER));
    Map<String, Object> row = new HashMap<>(Map.of("id", "a", "prompt", true));
    String e = n.normalize(row::get, 0, "in.jsonl line 2").inputError();
    assertEquals("in.jsonl line 2: column 'prompt' holds a boolean (true), expected a string", e);
    row.put("prompt", Map.of("a", 1));
    assertTrue(n.normalize(row::get, 0, "w").inputError().contains("column 'prompt' holds an object"));
    row.put("prompt", "fine");
    row.put("max_new_tokens", 10_000_000_000L);
    e = n.normalize(row::get, 0, "in.csv line 4").inputError();
    assertTrue(e.startsWith("in.csv line 4: override column 'max_new_tokens' is out of range: 10000000000"), e);
    row.put("max_new_tokens", false);
    assertTrue(n.normalize(row::get, 0, "w").inputError().contains("'max_new_tokens' is not a number: a boolean"));
    row.put("max_new_tokens", 0);
    assertTrue(n.normalize(row::get, 0, "w").inputError().contains("'max_new_tokens' is out of range"));
    row.remove("max_new_tokens");
    row.put("seed", new java.math.BigDecimal("1e30"));
    assertTrue(n.normalize(row::get, 0, "w").inputError().contains("'seed' is out of range"));
    row.put("seed", 9007199254740993L); // 2^53 + 1: a double would round it
    assertEquals(9007199254740993L, n.normalize(row::get, 0, "w").overrides().seed());
    row.remove("seed");
    row.put("messages", List.of(Map.of("content", "no role")));
    assertTrue(n.normalize(row::get, 0, "w").inputError().contains("column 'messages': message 0 has no role"));
    row.put("messages", List.of(Map.of("role", "user", "content", Map.of())));
    assertTrue(n.normalize(row::get, 0, "w").inputError().contains("content that is not a string"));
  }

  @Test
  void numericIdsAreExact() {
    InputNormalizer n = normalizer(schema("id", ColumnKind.NUMBER, "prompt", ColumnKind.STRING));
    assertEquals("1234567890123456789", n.normalize(Map.<String, Object>of("id", 1234567890123456789L, "prompt", "x")::get, 0).id());
    assertEquals("123456789012345678901234567890", n.normalize(Map.<String, Object>of("id",
        new java.math.BigDecimal("123456789012345678901234567890"), "prompt", "x")::get, 0).id());
    assertEquals("1000", n.normalize(Map.<String, Object>of("id", new java.math.BigDecimal("1E+3"), "prompt", "x")::get, 0).id());
    assertEquals("2.50", n.normalize(Map.<String, Object>of("id", new java.math.BigDecimal("2.50"), "prompt", "x")::get, 0).id());
  }

  @Test
  void unreadableRecordsGetDistinctStableIds() {
    InputNormalizer n = normalizer(schema("prompt", ColumnKind.STRING));
    PromptRow a = n.unreadable(3, "in.jsonl line 4", "not a JSON object");
    assertEquals("in.jsonl line 4: not a JSON object", a.inputError());
    assertEquals(a.id(), n.unreadable(3, "in.jsonl line 4", "x").id());
    assertNotEquals(a.id(), n.unreadable(4, "in.jsonl line 5", "not a JSON object").id());
  }
}
