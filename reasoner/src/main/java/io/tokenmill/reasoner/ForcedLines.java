package io.tokenmill.reasoner;

import ai.djl.ndarray.NDManager;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.reasoner.tasks.Problem;
import io.tokenmill.reasoner.tasks.Task;
import io.tokenmill.reasoner.tasks.Tasks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a model's reasoning breaks, line by line. Teacher-forced (the reference prefix given), a line
 * of the completion is right when the model's argmax is its token at every position, its newline
 * included. Per task and line kind ({@link Task#lineKind}): lines, the share right, and the problems
 * whose first wrong line is of that kind — where greedy decoding would leave the reference first. One
 * forward pass per few thousand tokens, so it runs on a training checkpoint in seconds to minutes,
 * where {@link TinyEval}'s decoding of long seating traces takes far longer.
 */
public final class ForcedLines {

  /** One row of the table. */
  public record Row(String task, String kind, int lines, int right, int firstWrong) {}

  /** The table's rows and, per task and kind, the first wrong lines: reference, then the model's argmax. */
  public record Report(List<Row> rows, Map<String, List<String>> wrongLines) {}

  private ForcedLines() {}

  /** Tokens per forward pass (about one training step's). */
  static final int CHUNK_TOKENS = 8_704;

  /** Measures {@code problems} on the model in {@code modelDir}; rows in task, then first-seen kind order. */
  public static List<Row> measure(Path modelDir, List<Problem> problems) {
    return measure(modelDir, problems, 0).rows();
  }

  /** As {@link #measure(Path, List)}, keeping up to {@code examples} wrong lines per task and kind. */
  public static Report measure(Path modelDir, List<Problem> problems, int examples) {
    ModelTokenizer tokenizer;
    try {
      tokenizer = ModelTokenizer.load(modelDir);
    } catch (IOException e) {
      throw new UncheckedIOException(modelDir + ": " + e.getMessage(), e);
    }
    ProblemEncoder encoder = new ProblemEncoder(tokenizer);
    ModelConfig config = ModelConfig.read(modelDir.resolve("config.json"));
    int padId = tokenizer.eosIds()[0];
    Map<String, int[]> counts = new LinkedHashMap<>(); // "task\tkind" → lines, right, firstWrong
    Map<String, List<String>> wrong = new LinkedHashMap<>();
    List<PackedBatch.Sequence> sequences = new ArrayList<>();
    for (Problem p : problems) sequences.add(encoder.sequence(p));
    try (TrainableDecoder model = TrainableDecoder.load(config, modelDir);
        NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu())) {
      int from = 0;
      for (List<PackedBatch.Sequence> chunk : PackedBatch.inOrderChunks(sequences, CHUNK_TOKENS)) {
        int longest = chunk.stream().mapToInt(s -> s.ids().length).max().orElseThrow();
        PackedBatch batch = PackedBatch.packAll(chunk, longest, padId);
        long[] argmax;
        try (NDManager scope = manager.newSubManager()) {
          argmax = model.logits(scope, batch).argMax(-1).toLongArray();
        }
        // predicted[k][c]: the argmax for completion token c of chunk sequence k, given its reference prefix
        int[][] predicted = new int[chunk.size()][];
        for (int k = 0; k < chunk.size(); k++) {
          predicted[k] = new int[chunk.get(k).ids().length - chunk.get(k).promptLength()];
        }
        for (int i = 0; i < argmax.length; i++) {
          int k = batch.sequence()[i];
          if (k < 0 || batch.lossMask()[i] == 0) continue;
          predicted[k][(int) batch.positions()[i] + 1 - chunk.get(k).promptLength()] = (int) argmax[i];
        }
        for (int k = 0; k < chunk.size(); k++) {
          Problem p = problems.get(from + k);
          PackedBatch.Sequence s = chunk.get(k);
          tally(Tasks.byName(p.task()), p.task(), tokenizer, s.ids(), s.promptLength(), predicted[k], counts,
              wrong, examples);
        }
        from += chunk.size();
      }
    }
    List<Row> rows = new ArrayList<>();
    counts.forEach((key, c) -> {
      String[] tk = key.split("\t");
      rows.add(new Row(tk[0], tk[1], c[0], c[1], c[2]));
    });
    return new Report(rows, wrong);
  }

  /** Splits one completion into lines (a line ends with its newline token) and counts them. */
  private static void tally(Task task, String taskName, ModelTokenizer tokenizer, int[] ids, int promptLength,
      int[] predicted, Map<String, int[]> counts, Map<String, List<String>> wrong, int examples) {
    StringBuilder line = new StringBuilder();
    StringBuilder guess = new StringBuilder();
    boolean lineRight = true;
    boolean broken = false;
    for (int c = 0; c < predicted.length; c++) {
      String piece = tokenizer.decode(new int[] {ids[promptLength + c]}, true); // EOS and </think>: ""
      lineRight &= predicted[c] == ids[promptLength + c];
      guess.append(tokenizer.decode(new int[] {predicted[c]}, false).replace("\n", "⏎"));
      boolean last = c == predicted.length - 1;
      if (piece.contains("\n") || last) {
        line.append(piece, 0, piece.contains("\n") ? piece.indexOf('\n') : piece.length());
        String text = line.toString().strip();
        String key = taskName + "\t" + task.lineKind(text);
        int[] n = counts.computeIfAbsent(key, x -> new int[3]);
        n[0]++;
        if (lineRight) {
          n[1]++;
        } else {
          // the model's argmax at each position of the line, given the reference before it
          List<String> w = wrong.computeIfAbsent(key.replace('\t', ' '), x -> new ArrayList<>());
          if (w.size() < examples) w.add(text + "  ←  " + guess);
          if (!broken) {
            n[2]++;
            broken = true;
          }
        }
        line.setLength(0);
        guess.setLength(0);
        lineRight = true;
      } else {
        line.append(piece);
      }
    }
  }

  /** A markdown table of {@code rows}. */
  public static String table(List<Row> rows) {
    StringBuilder out = new StringBuilder(
        "| task | line kind | lines | right (teacher-forced) | problems first wrong here |\n|---|---|---:|---:|---:|\n");
    for (Row r : rows) {
      out.append(String.format("| %s | %s | %d | %.1f%% | %d |%n", r.task(), r.kind(), r.lines(),
          100.0 * r.right() / Math.max(1, r.lines()), r.firstWrong()));
    }
    return out.toString();
  }
}
