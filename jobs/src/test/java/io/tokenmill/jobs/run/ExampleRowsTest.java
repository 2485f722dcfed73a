package io.tokenmill.jobs.run;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.udfs.rows.ResultRow;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleRowsTest {

  static ResultRow row(String id, Boolean correct, String reasoning, String error) {
    return new ResultRow(id, 0, "<|User|>What is 2 + 2?<|Assistant|><think>\n", reasoning, error == null ? "4" : null,
        "4", correct, "4", error == null ? "stop" : "error", 9, 3, 1, 0, null, null, null, 5, 7, "m", "cpu", "r", 1, error);
  }

  @Test
  void aWrongRowComesFirstThenTheLongestAndErrorRowsOnlyFillWhatIsLeft() {
    ResultRow ok1 = row("a", true, "2+2=4", null);
    ResultRow err = row("b", null, null, "the prompt is empty");
    ResultRow ok2 = row("c", true, "2+2=4", null);
    ResultRow bad = row("d", false, "2+2=5", null);
    ResultRow longest = row("e", true, "2+2=4 ... 4", null);
    assertEquals(List.of(bad, longest), ExampleRows.pick(List.of(bad), List.of(longest), List.of(ok1, err, ok2, bad), 2));
    assertEquals(List.of(bad, ok1), ExampleRows.pick(List.of(ok1, err, ok2, bad), new RunTotals(), 2));
    assertEquals(List.of(ok1, ok2, err), ExampleRows.pick(List.of(ok1, err, ok2), new RunTotals(), 3));
    assertEquals(List.of(err), ExampleRows.pick(List.of(err), new RunTotals(), 2));
    assertEquals(List.of(), ExampleRows.pick(List.of(ok1), new RunTotals(), 0));
  }

  @Test
  void totalsFindTheLongestRowWhateverTheOrderOrPartitioning() {
    List<ResultRow> rows = new java.util.ArrayList<>();
    int[] tokens = {5, 9, 3, 9, 7, 12, 1};
    for (int i = 0; i < tokens.length; i++) {
      ResultRow r = row("r" + i, true, "x", null);
      rows.add(new ResultRow(r.id(), 0, null, "x", "4", "4", true, "4", "stop", 1, tokens[i], 1, 0, null, null, null, 0, 0, "m", "cpu", "run", 1, null));
    }
    rows.add(new ResultRow("zz", 0, null, null, null, null, null, null, "error", 0, 99, 0, 0, null, null, null, 0, 0, "m", "cpu", "run", 1, "bad"));
    RunTotals all = new RunTotals();
    rows.forEach(r -> all.add(r, "run"));
    assertEquals("r5", all.longestId, "error rows are not examples of reasoning");
    RunTotals left = new RunTotals();
    RunTotals right = new RunTotals();
    for (int i = rows.size() - 1; i >= 0; i--) (i % 2 == 0 ? left : right).add(rows.get(i), "run");
    assertEquals("r5", right.merge(left).longestId);
    ResultRow r5 = rows.get(5);
    assertEquals(List.of(r5), ExampleRows.pick(rows, all, 1));
  }

  @Test
  void printsReasoningAnswerAndReferenceWithLongReasoningCut() {
    String reasoning = String.join("\n", java.util.stream.IntStream.range(0, 40).mapToObj(i -> "step " + i).toList());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ExampleRows.print(new PrintStream(bytes, true, StandardCharsets.UTF_8),
        List.of(row("d", false, reasoning, null), row("b", null, null, "the prompt is empty")));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("example d (sample 0): WRONG; finish stop; 3 reasoning + 1 answer tokens"), out);
    assertTrue(out.contains("    step 15\n    ... 24 more lines\n  </think>\n  answer:    4\n  reference: 4"), out);
    assertFalse(out.contains("step 16"), out);
    assertTrue(out.contains("example b (sample 0): error: the prompt is empty; finish error"), out);
  }
}
