package io.tokenmill.engine.sampling;

import java.util.Arrays;

/**
 * The token history one sequence's penalties need: the set of tokens seen in prompt + output (for the
 * repetition penalty) and how often each appeared in the OUTPUT (for presence / frequency penalties).
 * The generation loop builds one per sequence from the prompt ids, calls {@link #add} with every
 * sampled token, and passes it to {@link TokenSampler#sample}. After preemption it is rebuilt with
 * {@link #of}; n &gt; 1 samples of one prompt can start from {@link #copy} of a prompt-only instance.
 *
 * <p>Sparse, because a sequence touches a few thousand distinct ids out of ~152k: an int-keyed
 * open-addressing table maps id to a slot in dense arrays, which {@link TokenSampler} walks in
 * insertion order without boxing. Not thread-safe: owned by one sequence.
 */
public final class TokenCounts {

  private static final int EMPTY = -1;

  private int[] table; // open addressing: index into the dense arrays, EMPTY if free
  private int[] ids; // dense, insertion order
  private int[] outputCounts; // dense, parallel to ids
  private int distinct;
  private int outputLength;

  /** History of a sequence that has produced no output yet. */
  public TokenCounts(int[] promptIds) {
    int expected = Math.max(16, promptIds.length);
    table = new int[tableSizeFor(expected)];
    Arrays.fill(table, EMPTY);
    ids = new int[expected];
    outputCounts = new int[expected];
    for (int id : promptIds) slotOf(id);
  }

  /** History rebuilt from the prompt and the output so far (after preemption or a task retry). */
  public static TokenCounts of(int[] promptIds, int[] outputIds) {
    TokenCounts c = new TokenCounts(promptIds);
    for (int id : outputIds) c.add(id);
    return c;
  }

  /** Records one generated token. */
  public void add(int tokenId) {
    // Two statements on purpose: in `outputCounts[slotOf(id)]++` Java reads the array field before
    // slotOf runs, so a growth inside slotOf would increment the old, discarded array.
    int slot = slotOf(tokenId);
    outputCounts[slot]++;
    outputLength++;
  }

  /** An independent copy (for forking n samples off one prompt). */
  public TokenCounts copy() {
    TokenCounts c = new TokenCounts(new int[0]);
    c.table = table.clone();
    c.ids = ids.clone();
    c.outputCounts = outputCounts.clone();
    c.distinct = distinct;
    c.outputLength = outputLength;
    return c;
  }

  /** Whether the token occurs in the prompt or the output. */
  public boolean seen(int tokenId) {
    return tokenId >= 0 && table[find(tokenId)] != EMPTY;
  }

  /** How often the token occurs in the output (0 if only in the prompt, or never). */
  public int outputCount(int tokenId) {
    if (tokenId < 0) return 0;
    int t = table[find(tokenId)];
    return t == EMPTY ? 0 : outputCounts[t];
  }

  /** Number of tokens added with {@link #add}. */
  public int outputLength() {
    return outputLength;
  }

  /** Number of distinct tokens in prompt + output; index range for {@link #idAt}. */
  public int distinctCount() {
    return distinct;
  }

  /** The i-th distinct token, in first-seen order. */
  public int idAt(int i) {
    checkIndex(i);
    return ids[i];
  }

  /** Output count of the i-th distinct token. */
  public int outputCountAt(int i) {
    checkIndex(i);
    return outputCounts[i];
  }

  private void checkIndex(int i) {
    if (i < 0 || i >= distinct) throw new IndexOutOfBoundsException("index " + i + " of " + distinct);
  }

  /** Dense slot of the id, inserting it (count 0) if new. */
  private int slotOf(int tokenId) {
    if (tokenId < 0) throw new IllegalArgumentException("token id must be >= 0, got " + tokenId);
    int pos = find(tokenId);
    if (table[pos] != EMPTY) return table[pos];
    if (distinct == ids.length) {
      ids = Arrays.copyOf(ids, distinct * 2);
      outputCounts = Arrays.copyOf(outputCounts, distinct * 2);
    }
    ids[distinct] = tokenId;
    table[pos] = distinct;
    int slot = distinct++;
    // Keep the load factor at most 1/2 so probe sequences stay short.
    if (distinct * 2 > table.length) rehash(table.length * 2);
    return slot;
  }

  /** Table position holding the id, or the empty position where it would go (linear probing). */
  private int find(int tokenId) {
    int mask = table.length - 1;
    // Fibonacci hashing: consecutive ids (common in vocabularies) spread over the table.
    int pos = (tokenId * 0x9E3779B9) >>> (32 - Integer.numberOfTrailingZeros(table.length)) & mask;
    while (true) {
      int t = table[pos];
      if (t == EMPTY || ids[t] == tokenId) return pos;
      pos = (pos + 1) & mask;
    }
  }

  private void rehash(int size) {
    table = new int[size];
    Arrays.fill(table, EMPTY);
    for (int i = 0; i < distinct; i++) table[find(ids[i])] = i;
  }

  private static int tableSizeFor(int expected) {
    return Integer.highestOneBit(Math.max(4, expected) * 4 - 1); // power of two >= 2 * expected
  }
}
