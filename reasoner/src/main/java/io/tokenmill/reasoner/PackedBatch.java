package io.tokenmill.reasoner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One training step's tokens: whole sequences packed into {@code rows} rows of {@code length} tokens.
 * Each sequence keeps its own positions (0, 1, ...) and attends only to itself (causal within the
 * sequence), so packing changes nothing but the padding saved. Unused slots are padding that attends to
 * itself alone and carries no loss.
 *
 * <p>{@code targets[i]} is the next token of the same sequence; {@code lossMask[i]} is 1 where that next
 * token is part of the completion (the model is not trained to predict the prompt).
 */
public record PackedBatch(int rows, int length, long[] tokens, long[] positions, int[] sequence, long[] targets,
    float[] lossMask, int sequences) {

  /** One sequence to pack: its token ids, of which the first {@code promptLength} are the prompt. */
  public record Sequence(int[] ids, int promptLength) {
    public Sequence {
      if (promptLength < 1 || promptLength >= ids.length) {
        throw new IllegalArgumentException("a sequence needs a prompt and a completion");
      }
    }
  }

  /** Tokens whose next token is trained on. */
  public int targetCount() {
    int n = 0;
    for (float m : lossMask) if (m != 0) n++;
    return n;
  }

  /**
   * The additive attention mask, (rows, 1, 1, length, length) flattened: 0 where key j is visible to
   * query i (same sequence, j <= i), else a large negative number (finite, so no row is all -inf).
   */
  public float[] attentionMask() {
    float[] mask = new float[rows * length * length];
    Arrays.fill(mask, -1e9f);
    for (int r = 0; r < rows; r++) {
      int base = r * length;
      for (int i = 0; i < length; i++) {
        markVisible(mask, (r * length + i) * length, base, i, 0);
      }
    }
    return mask;
  }

  /**
   * Zeroes the keys query {@code i} of the row at {@code base} can see — its own sequence's, from i back
   * to the sequence start or {@code kFrom} — in the mask row starting at {@code at} for key {@code kFrom}.
   */
  private void markVisible(float[] mask, int at, int base, int i, int kFrom) {
    for (int j = i; j >= kFrom && sequence[base + j] == sequence[base + i]; j--) mask[at + j - kFrom] = 0f;
  }

  /**
   * One tile of the attention: the queries {@code qFrom..qTo-1} of row {@code row} against the keys
   * {@code kFrom..qTo-1} of that row, with their additive mask ((qTo-qFrom) x (qTo-kFrom), 0 where visible).
   */
  public record AttentionTile(int row, int qFrom, int qTo, int kFrom, float[] mask) {}

  /**
   * The attention cut into tiles of at most {@code block} queries, each against only the keys any of its
   * queries can see: from the start of the sequence holding its first query up to its last query. Same
   * result as {@link #attentionMask} (every visible key is in its query's tile; the masked-out rest costs
   * nothing), at a fraction of the cost: the causal upper half and other sequences' keys are skipped
   * instead of masked. Tiles come row by row, queries in order, so their outputs concatenate back.
   */
  public List<AttentionTile> attentionTiles(int block) {
    if (block < 1) throw new IllegalArgumentException("attention block must be positive: " + block);
    List<AttentionTile> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int base = r * length;
      for (int qFrom = 0; qFrom < length; qFrom += block) {
        int qTo = Math.min(length, qFrom + block);
        int kFrom = qFrom;
        while (kFrom > 0 && sequence[base + kFrom - 1] == sequence[base + qFrom]) kFrom--;
        int keys = qTo - kFrom;
        float[] mask = new float[(qTo - qFrom) * keys];
        Arrays.fill(mask, -1e9f);
        for (int i = qFrom; i < qTo; i++) markVisible(mask, (i - qFrom) * keys, base, i, kFrom);
        out.add(new AttentionTile(r, qFrom, qTo, kFrom, mask));
      }
    }
    return out;
  }

  /**
   * Packs sequences into rows of a few lengths, one batch per length: longest sequence first, each into
   * the first open row with room (of any length), else into a new row of the shortest length that holds
   * it. Attention costs rows x length² whatever a row holds, so short rows for short problems and short
   * problems in the gaps of long rows keep that cost low. Order is not kept.
   */
  public static List<PackedBatch> packBucketed(List<Sequence> sequences, int[] lengths, int padId) {
    List<Sequence> sorted = new ArrayList<>(sequences);
    sorted.sort((a, b) -> Integer.compare(b.ids().length, a.ids().length));
    List<Integer> rowLength = new ArrayList<>();
    List<Integer> rowUsed = new ArrayList<>();
    List<List<Sequence>> rowSeqs = new ArrayList<>();
    for (Sequence s : sorted) {
      int n = s.ids().length;
      int r = 0;
      while (r < rowUsed.size() && rowUsed.get(r) + n > rowLength.get(r)) r++;
      if (r == rowUsed.size()) {
        int len = -1;
        for (int l : lengths) {
          if (l >= n && (len < 0 || l < len)) len = l;
        }
        if (len < 0) throw new IllegalArgumentException("sequence of " + n + " tokens exceeds every row length");
        rowLength.add(len);
        rowUsed.add(0);
        rowSeqs.add(new ArrayList<>());
      }
      rowUsed.set(r, rowUsed.get(r) + n);
      rowSeqs.get(r).add(s);
    }
    List<PackedBatch> out = new ArrayList<>();
    for (int len : java.util.stream.IntStream.of(lengths).sorted().distinct().toArray()) {
      if (rowLength.contains(len)) out.add(packRows(rowSeqs, rowLength, len, padId));
    }
    return out;
  }

  private static PackedBatch packRows(List<List<Sequence>> rowSeqs, List<Integer> rowLength, int len, int padId) {
    List<List<Sequence>> rows = new ArrayList<>();
    for (int r = 0; r < rowSeqs.size(); r++) if (rowLength.get(r) == len) rows.add(rowSeqs.get(r));
    int total = rows.size() * len;
    long[] tokens = new long[total];
    long[] positions = new long[total];
    int[] sequence = new int[total];
    long[] targets = new long[total];
    float[] lossMask = new float[total];
    int packed = 0;
    for (int r = 0; r < rows.size(); r++) {
      int at = r * len;
      for (Sequence s : rows.get(r)) {
        place(s, at, packed++, tokens, positions, sequence, targets, lossMask);
        at += s.ids().length;
      }
      for (; at < (r + 1) * len; at++) {
        tokens[at] = padId;
        sequence[at] = -1 - at;
      }
    }
    return new PackedBatch(rows.size(), len, tokens, positions, sequence, targets, lossMask, packed);
  }

  private static void place(Sequence s, int base, int index, long[] tokens, long[] positions, int[] sequence,
      long[] targets, float[] lossMask) {
    int n = s.ids().length;
    for (int i = 0; i < n; i++) {
      tokens[base + i] = s.ids()[i];
      positions[base + i] = i;
      sequence[base + i] = index;
      if (i + 1 < n) {
        targets[base + i] = s.ids()[i + 1];
        lossMask[base + i] = i + 1 >= s.promptLength() ? 1f : 0f;
      }
    }
  }

  /**
   * Splits {@code sequences} into consecutive runs of at most {@code budget} tokens (a longer sequence
   * forms a run alone), in order: packing each run with {@link #packAll} keeps the k-th sequence overall
   * the k-th packed, so results map back by position.
   */
  public static List<List<Sequence>> inOrderChunks(List<Sequence> sequences, int budget) {
    List<List<Sequence>> out = new ArrayList<>();
    int from = 0;
    while (from < sequences.size()) {
      int to = from;
      int tokens = 0;
      while (to < sequences.size() && (to == from || tokens + sequences.get(to).ids().length <= budget)) {
        tokens += sequences.get(to).ids().length;
        to++;
      }
      out.add(sequences.subList(from, to));
      from = to;
    }
    return out;
  }

  /** Packs all sequences first-fit, in order, into as many rows of {@code length} as they need. */
  public static PackedBatch packAll(List<Sequence> sequences, int length, int padId) {
    List<Integer> used = new ArrayList<>();
    for (Sequence s : sequences) {
      int r = 0;
      while (r < used.size() && used.get(r) + s.ids().length > length) r++;
      if (r == used.size()) used.add(0);
      used.set(r, used.get(r) + s.ids().length);
    }
    List<Sequence> pending = new ArrayList<>(sequences);
    PackedBatch b = pack(pending, Math.max(1, used.size()), length, padId);
    if (!pending.isEmpty()) throw new IllegalStateException("first-fit replay left sequences unpacked");
    return b;
  }

  /**
   * Packs sequences first-fit, in order, into {@code rows} rows; returns the batch and leaves the
   * sequences that did not fit in {@code pending} (they go first into the next batch).
   */
  public static PackedBatch pack(List<Sequence> pending, int rows, int length, int padId) {
    long[] tokens = new long[rows * length];
    long[] positions = new long[rows * length];
    int[] sequence = new int[rows * length];
    long[] targets = new long[rows * length];
    float[] lossMask = new float[rows * length];
    int[] used = new int[rows];
    List<Sequence> left = new ArrayList<>();
    int packed = 0;
    for (Sequence s : pending) {
      int n = s.ids().length;
      if (n > length) throw new IllegalArgumentException("sequence of " + n + " tokens exceeds row length " + length);
      int r = 0;
      while (r < rows && used[r] + n > length) r++;
      if (r == rows) {
        left.add(s);
        continue;
      }
      place(s, r * length + used[r], packed++, tokens, positions, sequence, targets, lossMask);
      used[r] += n;
    }
    for (int r = 0; r < rows; r++) {
      for (int i = used[r]; i < length; i++) {
        int k = r * length + i;
        tokens[k] = padId;
        sequence[k] = -1 - k; // unique: a padding slot sees only itself
      }
    }
    pending.clear();
    pending.addAll(left);
    return new PackedBatch(rows, length, tokens, positions, sequence, targets, lossMask, packed);
  }
}
