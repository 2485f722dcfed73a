package io.tokenmill.jobs.local;

import static io.tokenmill.jobs.testing.JobFixtures.rows;
import static io.tokenmill.jobs.testing.JobFixtures.content;
import static io.tokenmill.jobs.testing.JobFixtures.jsonl;
import static io.tokenmill.jobs.testing.JobFixtures.prompts;
import static io.tokenmill.jobs.testing.JobFixtures.settings;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tokenmill.jobs.run.RunSummary;
import io.tokenmill.jobs.testing.JobFixtures;
import io.tokenmill.udfs.rows.OutputSchema;
import io.tokenmill.udfs.rows.ResultRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Arrow runner end to end: bad rows, schema, resume after a stopped run, input formats. */
class LocalRunnerTest {

  @TempDir static Path tmp;
  static Path model;

  @BeforeAll
  static void setUp() {
    model = JobFixtures.model(tmp.resolve("model"));
  }

  @Test
  void badRowsBecomeErrorRowsAndTheRestFinish() throws Exception {
    List<String> lines = new ArrayList<>(prompts(6));
    lines.add("{\"id\": \"empty\", \"prompt\": \"\"}");
    lines.add("{\"id\": \"nullprompt\", \"prompt\": null}");
    lines.add("{\"id\": \"p001\", \"prompt\": \"a second p001\"}");
    lines.add("this line is not json");
    lines.add("{\"id\": \"hot\", \"prompt\": \"hi\", \"temperature\": -1}");
    lines.add("{\"id\": \"long\", \"prompt\": \"" + "x ".repeat(400) + "\"}");
    lines.add("{\"id\": \"frac\", \"prompt\": \"hi\", \"max_new_tokens\": 2.5}");
    Path in = jsonl(tmp.resolve("bad/in.jsonl"), lines);
    Path out = tmp.resolve("bad/out");
    RunSummary s = LocalRunner.run(settings(model, in, out, Map.of("job.runner", "local")));
    Map<String, ResultRow> byId = rows(out).stream()
        .collect(Collectors.toMap(ResultRow::id, r -> r, (a, b) -> { throw new AssertionError("dup " + a.id()); }));
    for (int i = 0; i < 6; i++) {
      ResultRow ok = byId.get(String.format("p%03d", i));
      assertNull(ok.error(), ok.toString());
      assertNotEquals("error", ok.finishReason());
      assertTrue(ok.answerTokens() + ok.reasoningTokens() > 0);
      assertTrue(ok.promptText().contains("What is " + i), ok.promptText());
    }
    assertEquals("the prompt is empty", byId.get("empty").error());
    assertEquals("the prompt is null", byId.get("nullprompt").error());
    assertTrue(byId.get("hot").error().contains("temperature"), byId.get("hot").error());
    assertTrue(byId.get("long").error().contains("leaves no room to generate"), byId.get("long").error());
    assertTrue(byId.get("frac").error().contains("max_new_tokens"), byId.get("frac").error());
    ResultRow notJson = rows(out).stream().filter(r -> r.error() != null && r.error().contains("not a JSON object"))
        .findFirst().orElseThrow();
    assertTrue(notJson.error().contains("line 10"), notJson.error());
    List<ResultRow> p001 = rows(out).stream().filter(r -> r.id().equals("p001")).toList();
    assertEquals(1, p001.size(), "the first p001 is generated; the repeat is listed beside rows/, not a second key");
    assertNull(p001.get(0).error());
    List<String> dups = Files.readAllLines(out.resolve("duplicate_ids.jsonl"));
    assertEquals(1, dups.size(), dups.toString());
    JsonObject dup = JsonParser.parseString(dups.get(0)).getAsJsonObject();
    assertEquals("p001", dup.get("id").getAsString());
    assertEquals(8, dup.get("input_row").getAsLong());
    assertEquals(1, dup.get("first_input_row").getAsLong());
    assertTrue(dup.get("error").getAsString().contains("duplicate id 'p001'"), dup.toString());
    assertEquals(1, s.duplicateRows());
    for (ResultRow r : rows(out)) {
      if (r.error() != null) assertEquals("error", r.finishReason());
    }
    assertEquals(12, s.totals().rows);
    assertEquals(6, s.totals().failed);
    JsonObject j = JsonParser.parseString(Files.readString(out.resolve("run_summary.json"))).getAsJsonObject();
    assertEquals(6, j.getAsJsonObject("rows").get("failed").getAsInt());
    assertEquals(1, j.getAsJsonObject("rows").get("duplicate_ids_not_generated").getAsInt());
    assertEquals(1, j.getAsJsonArray("engines").get(0).getAsJsonObject().get("model_loads").getAsInt());
  }

  @Test
  void writesTheContractSchema() throws Exception {
    Path in = jsonl(tmp.resolve("schema/in.jsonl"), prompts(3));
    Path out = tmp.resolve("schema/out");
    LocalRunner.run(settings(model, in, out, Map.of("job.runner", "local")));
    Path file;
    try (var s = Files.walk(out.resolve("rows"))) {
      file = s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    assertTrue(file.getParent().getFileName().toString().startsWith("wave="), file.toString());
    try (RootAllocator a = new RootAllocator();
        var f = new org.apache.arrow.dataset.file.FileSystemDatasetFactory(a,
            org.apache.arrow.dataset.jni.NativeMemoryPool.getDefault(),
            org.apache.arrow.dataset.file.FileFormat.PARQUET, file.toUri().toString())) {
      var schema = f.inspect();
      // the input's own columns first (its id and reference are the contract's id and reference), then the contract
      List<String> expected = new java.util.ArrayList<>(List.of("prompt", "max_new_tokens"));
      expected.addAll(OutputSchema.COLUMNS.stream().map(OutputSchema.Column::name).toList());
      assertEquals(expected, schema.getFields().stream().map(org.apache.arrow.vector.types.pojo.Field::getName).toList());
      for (var field : schema.getFields()) {
        assertNotEquals(org.apache.arrow.vector.types.pojo.ArrowType.Null.INSTANCE, field.getType(), field.getName());
      }
    }
  }

  @Test
  void resumeAfterAStoppedRunEqualsAnUninterruptedRun() throws Exception {
    Path in = jsonl(tmp.resolve("resume/in.jsonl"), prompts(24));
    Path whole = tmp.resolve("resume/whole");
    LocalRunner.run(settings(model, in, whole, Map.of("job.runner", "local", "job.waves", 4)));
    Path out = tmp.resolve("resume/out");
    RunSummary first = LocalRunner.run(settings(model, in, out,
        Map.of("job.runner", "local", "job.waves", 4, "test.stop_after_waves", 1)));
    long afterFirst = rows(out).size();
    assertTrue(afterFirst > 0 && afterFirst < 24, "one wave of four: " + afterFirst);
    assertTrue(first.toJson().get("stopped_early").getAsBoolean());
    // a wave in flight when the driver died: staging exists but never became visible
    Files.createDirectories(out.resolve("_staging/wave=dead-000"));
    Files.writeString(out.resolve("_staging/wave=dead-000/part-0.parquet"), "half-written");
    RunSummary second = LocalRunner.run(settings(model, in, out, Map.of("job.runner", "local", "job.waves", 4)));
    assertEquals(afterFirst, second.toJson().getAsJsonObject("rows").get("resumed_prompts").getAsLong());
    assertFalse(Files.exists(out.resolve("_staging/wave=dead-000")));
    assertEquals(content(rows(whole)), content(rows(out)));
    assertEquals(24, rows(out).size());
  }

  @Test
  void csvWithQuotedNewlinesAndParquetInputGiveTheSameRows() throws Exception {
    Path csv = tmp.resolve("formats/in.csv");
    Files.createDirectories(csv.getParent());
    Files.writeString(csv, "id,prompt,reference\n"
        + "a,\"Line one,\nline \"\"two\"\"\",7\n"
        + "b,Plain prompt,8\n");
    Path outCsv = tmp.resolve("formats/out-csv");
    LocalRunner.run(settings(model, csv, outCsv, Map.of("job.runner", "local")));
    List<ResultRow> rs = rows(outCsv);
    ResultRow a = rs.stream().filter(r -> r.id().equals("a")).findFirst().orElseThrow();
    assertNull(a.error());
    assertTrue(a.promptText().contains("Line one,\nline \"two\""), a.promptText());
    assertEquals("7", a.reference());
    // the output of one run is a valid Parquet input of another (id + answer as the prompt column); its output
    // columns are not kept: they would clash with the new run's own
    Path outPq = tmp.resolve("formats/out-pq");
    LocalRunner.run(settings(model, outCsv.resolve("rows"), outPq, Map.of("job.runner", "local",
        "input.format", "parquet", "input.prompt_column", "answer", "output.prompt_text", false,
        "output.keep_columns", "none")));
    assertEquals(2, rows(outPq).size());
  }

  @Test
  void schemaErrorsNameTheColumnBeforeAnyGeneration() {
    Path in = jsonl(tmp.resolve("schema-bad/in.jsonl"), List.of("{\"id\": 1, \"question\": \"hi\"}"));
    Path out = tmp.resolve("schema-bad/out");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LocalRunner.run(settings(model, in, out, Map.of("job.runner", "local"))));
    assertTrue(e.getMessage().contains("'prompt'") && e.getMessage().contains("input.prompt_column"), e.getMessage());
    assertFalse(Files.exists(out.resolve("rows")), "nothing written");
  }
}
