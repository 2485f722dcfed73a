package io.tokenmill.jobs.report;

import io.tokenmill.jobs.local.ParquetScan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** {@link ReportRows} over the committed rows through Arrow (the Arrow runner; no Spark on the classpath). */
public final class ArrowReportRows {

  private ArrowReportRows() {}

  /** Same meaning as {@link SparkReportRows#read}; the grouping column counts when any file has it. */
  public static ReportRows read(Path rowsDir, BufferAllocator allocator, String groupBy, long expectedRows)
      throws IOException {
    List<Path> files;
    try (var s = Files.walk(rowsDir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
    String group = groupBy == null || groupBy.isBlank() ? null : groupBy;
    boolean[] groupSeen = {false};
    ReportRows all = new ReportRows(group, expectedRows, RunReport.SAMPLE_ROWS);
    for (Path f : files) {
      ParquetScan.scan(f, allocator, new ParquetScan.Batches() {
        FieldVector id, sample, reasoning, answer, correct, reference, error, groupValues, budget;

        @Override
        public void schema(VectorSchemaRoot root) throws IOException {
          id = required(root, "id");
          sample = required(root, "sample");
          reasoning = required(root, "reasoning_tokens");
          answer = required(root, "answer_tokens");
          correct = required(root, "correct");
          reference = required(root, "reference");
          error = required(root, "error");
          groupValues = group == null ? null : root.getVector(group);
          if (groupValues != null) groupSeen[0] = true;
          budget = root.getVector("thinking_budget");
        }

        private FieldVector required(VectorSchemaRoot root, String name) throws IOException {
          FieldVector v = root.getVector(name);
          if (v == null) throw new IOException(f + " has no column " + name + " (not a Tokenmill output?)");
          return v;
        }

        @Override
        public void batch(VectorSchemaRoot root) {
          for (int i = 0; i < root.getRowCount(); i++) {
            Object b = budget == null ? null : budget.getObject(i);
            all.add(text(id, i), (Integer) sample.getObject(i), (Integer) reasoning.getObject(i),
                (Integer) answer.getObject(i), (Boolean) correct.getObject(i), !reference.isNull(i), text(error, i),
                groupValues == null ? null : text(groupValues, i), b instanceof Number n ? n.longValue() : null);
          }
        }
      });
    }
    // like Spark's view of the dataset: a column no file has is not there (no chart of one "(null)" group)
    return groupSeen[0] ? all : all.withoutGroup();
  }

  private static String text(FieldVector v, int i) {
    Object o = v.getObject(i);
    return o == null ? null : o.toString();
  }
}
