package io.tokenmill.engine.runtime;

/**
 * One forward call's work, in ids and counts only: for each sequence b, its KV block table, how many of
 * its tokens are already in the cache ({@code starts[b]}), and the new tokens to run. A decode step has
 * one new token per sequence; a prefill (or a chunk of one) has several; both mix freely in one batch.
 */
public record StepBatch(int[][] blockTables, int[] starts, int[][] tokens) {

  public StepBatch {
    if (blockTables.length != starts.length || starts.length != tokens.length || starts.length == 0) {
      throw new IllegalArgumentException("blockTables, starts and tokens must be non-empty and of equal length");
    }
    for (int b = 0; b < starts.length; b++) {
      if (tokens[b].length == 0) throw new IllegalArgumentException("sequence " + b + " has no new tokens");
      if (starts[b] < 0) throw new IllegalArgumentException("sequence " + b + " has a negative start");
    }
  }

  public static StepBatch decode(int[][] blockTables, int[] starts, int[] lastTokens) {
    int[][] t = new int[lastTokens.length][];
    for (int b = 0; b < t.length; b++) t[b] = new int[] {lastTokens[b]};
    return new StepBatch(blockTables, starts, t);
  }

  public int size() {
    return starts.length;
  }

  /** Longest run of new tokens (the padded width T of the step). */
  public int maxNewTokens() {
    int t = 0;
    for (int[] x : tokens) t = Math.max(t, x.length);
    return t;
  }

  /** Longest context after this step (keys attended over). */
  public int maxContext() {
    int l = 0;
    for (int b = 0; b < starts.length; b++) l = Math.max(l, starts[b] + tokens[b].length);
    return l;
  }

  public int totalNewTokens() {
    int n = 0;
    for (int[] x : tokens) n += x.length;
    return n;
  }
}
