package io.tokenmill.jobs.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tokenmill.udfs.rows.PromptRow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which rows repeat an earlier row's id, whatever order the rows arrive in. */
class DuplicateIdsTest {

  static PromptRow row(String id, long position) {
    return new PromptRow(id, position, 0, "p", null, null, null, null, null);
  }

  @Test
  void theLowestPositionIsFirstEvenWhenItArrivesLater() {
    List<PromptRow> rows = List.of(row("a", 5), row("b", 1), row("a", 3), row("c", 2), row("c", 8), row("c", 4));
    Map<String, Long> first = DuplicateIds.firstPositions(rows);
    assertEquals(Map.of("a", 3L, "c", 2L), first);
    List<DuplicateIds.Later> later = DuplicateIds.later(rows, first);
    assertEquals(List.of(5L, 8L, 4L), later.stream().map(DuplicateIds.Later::position).toList());
    String text = DuplicateIds.fileText(later);
    assertEquals(3, text.lines().count());
    assertEquals(true, text.lines().findFirst().orElseThrow().contains("\"input_row\":4"), "file in input order: " + text);
    assertNull(DuplicateIds.fileText(List.of()), "no duplicates: the file is removed");
  }
}
