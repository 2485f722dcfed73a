package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Seating;
import io.tokenmill.reasoner.tasks.Tasks;
import io.tokenmill.reasoner.tasks.seating.Puzzle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link ForcedLines} on the committed tiny reasoner (arithmetic only) and on seating traces. */
class ForcedLinesTest {

  static final Path MODEL = Path.of("..", "data-samples", "models", "tiny-reasoner");

  @Test
  void nearlyEveryLineOfBothKindsOfTraceIsRightTeacherForced() {
    List<Problem> add = TinyEval.heldOut(List.of(Tasks.byName("add")), 3, Tasks.EVAL_SEED);
    List<Problem> seating = TinyEval.heldOut(List.of(Tasks.byName("seating")), 1, Tasks.EVAL_SEED);
    List<Problem> all = new ArrayList<>(add);
    all.addAll(seating);
    List<ForcedLines.Row> rows = ForcedLines.measure(MODEL, all);

    List<ForcedLines.Row> addRows = rows.stream().filter(r -> r.task().equals("add")).toList();
    int lines = addRows.stream().mapToInt(ForcedLines.Row::lines).sum();
    int right = addRows.stream().mapToInt(ForcedLines.Row::right).sum();
    // every line of every problem: the scratchpad lines, the blank and </think> lines, the answer
    int expected = add.stream().mapToInt(p -> (int) p.completion().lines().count()).sum();
    assertEquals(expected, lines);
    assertTrue(right >= 0.95 * lines, right + " of " + lines + " addition lines right (the model's accuracy is 99%+)");

    // The model solves puzzles too: teacher-forced, nearly every trace line is right, and a problem's first
    // wrong line (if any) is counted once, under its line kind.
    List<ForcedLines.Row> seatRows = rows.stream().filter(r -> r.task().equals("seating")).toList();
    int seatLineCount = seatRows.stream().mapToInt(ForcedLines.Row::lines).sum();
    int seatRight = seatRows.stream().mapToInt(ForcedLines.Row::right).sum();
    assertTrue(seatRight >= 0.9 * seatLineCount, seatRight + " of " + seatLineCount + " seating lines right");
    assertTrue(seatRows.stream().mapToInt(ForcedLines.Row::firstWrong).sum() <= seating.size());
    Map<String, Integer> seatLines = seatRows.stream()
        .collect(Collectors.toMap(ForcedLines.Row::kind, ForcedLines.Row::lines));
    assertEquals(seating.size(), seatLines.get("layout"));
    assertEquals(seating.size(), seatLines.get("guests"));
    assertTrue(ForcedLines.table(rows).contains("| seating | attempt |"), ForcedLines.table(rows));
  }

  @Test
  void seatingLineKindsFollowTheTrace() {
    Seating task = new Seating();
    for (Problem p : TinyEval.heldOut(List.of(task), 3, Tasks.EVAL_SEED)) {
      Puzzle puzzle = Puzzle.fromPrompt(p.prompt());
      Map<String, Long> kinds = p.completion().lines().map(String::strip)
          .collect(Collectors.groupingBy(task::lineKind, Collectors.counting()));
      assertEquals(1L, kinds.get("layout"), p.reasoning());
      assertEquals(1L, kinds.get("guests"), p.reasoning());
      assertEquals((long) puzzle.rules().size(), kinds.get("condition"), p.reasoning());
      assertEquals(null, kinds.get("rules"), "the check-all trace has no per-guest table: " + p.reasoning());
      assertEquals(2L, kinds.get("answer"), "the trace's last line and the answer after </think>");
      assertTrue(kinds.get("attempt") >= puzzle.guests().size(), p.reasoning());
    }
  }
}
