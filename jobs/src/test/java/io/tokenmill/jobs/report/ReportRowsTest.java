package io.tokenmill.jobs.report;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's one-pass figures: exact accuracies, and a token sample that does not depend on row order. */
class ReportRowsTest {

  @Test
  void accuracyIsExactAndErrorsAndUnjudgedRowsAreLeftOut() {
    ReportRows r = new ReportRows("task", 6, 100);
    r.add("a", 0, 10, 2, true, true, null, "add", 20L);
    r.add("b", 0, 12, 3, false, true, null, "add", 20L);
    r.add("c", 0, 30, 1, true, true, null, "sub", 40L);
    r.add("d", 0, 5, 5, null, false, null, "sub", 40L); // no reference: tokens only
    r.add("e", 0, 0, 0, null, true, "prompt too long", "sub", 40L); // error: left out entirely
    r.add("f", 0, 7, 1, false, true, null, null, null);
    assertEquals(new ReportRows.Accuracy(2, 1), r.byGroup().get("add"));
    assertEquals(new ReportRows.Accuracy(1, 1), r.byGroup().get("sub"));
    assertEquals(new ReportRows.Accuracy(1, 0), r.byGroup().get("(null)"));
    assertEquals(new ReportRows.Accuracy(2, 1), r.byBudget().get(20L));
    assertEquals(new ReportRows.Accuracy(1, 1), r.byBudget().get(40L));
    assertEquals(5, r.rowsWithoutError());
    assertEquals(5, r.tokenRows().size());
    assertEquals(1, r.tokenRows().stream().filter(t -> t.outcome() == ReportRows.Outcome.NO_REFERENCE).count());
  }

  @Test
  void largeOutputsAreSampledByKeyWhateverThePartitioning() {
    int n = 100_000;
    ReportRows whole = new ReportRows(null, n, 20_000);
    ReportRows first = new ReportRows(null, n, 20_000);
    ReportRows second = new ReportRows(null, n, 20_000);
    for (int i = 0; i < n; i++) {
      String id = "row-" + i;
      whole.add(id, i % 3, i % 97, i % 13, i % 2 == 0, true, null, null, null);
      (i % 7 == 0 ? second : first).add(id, i % 3, i % 97, i % 13, i % 2 == 0, true, null, null, null);
    }
    ReportRows merged = second.merge(first);
    assertEquals(n, merged.rowsWithoutError());
    int kept = whole.tokenRows().size();
    assertTrue(Math.abs(kept - 20_000) < 800, "about 20,000 rows kept, not " + kept);
    Comparator<ReportRows.TokenRow> order = Comparator.comparingInt(ReportRows.TokenRow::reasoningTokens)
        .thenComparingInt(ReportRows.TokenRow::answerTokens).thenComparing(ReportRows.TokenRow::outcome);
    List<ReportRows.TokenRow> a = whole.tokenRows().stream().sorted(order).toList();
    List<ReportRows.TokenRow> b = merged.tokenRows().stream().sorted(order).toList();
    assertEquals(a, b);
  }
}
