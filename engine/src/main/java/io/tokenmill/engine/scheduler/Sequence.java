package io.tokenmill.engine.scheduler;

import java.util.Arrays;

/**
 * Mutable state of one sequence, private to the {@link Scheduler}: status, how many of its tokens are in
 * the KV cache, the tokens generated so far and its block table. Its tokens are prompt + output; after a
 * preemption all of them are recomputed as if they were one long prompt, so the output is kept.
 */
final class Sequence {

  final int id;
  final SchedRequest request;
  private final int[] prompt;
  private int[] output = new int[16];
  private int numOutput;
  final BlockTable table = new BlockTable();
  SeqStatus status = SeqStatus.WAITING;
  /** Tokens whose K/V is in the cache: positions [0, numComputed). */
  int numComputed;

  Sequence(int id, SchedRequest request) {
    this.id = id;
    this.request = request;
    this.prompt = request.promptTokenIds();
  }

  /** Prompt + output. */
  int length() {
    return prompt.length + numOutput;
  }

  int numOutput() {
    return numOutput;
  }

  int tokenAt(int p) {
    return p < prompt.length ? prompt[p] : output[p - prompt.length];
  }

  /** Tokens at positions [from, to). */
  int[] tokens(int from, int to) {
    int[] t = new int[to - from];
    for (int p = from; p < to; p++) t[p - from] = tokenAt(p);
    return t;
  }

  int[] allTokens() {
    return tokens(0, length());
  }

  int[] outputTokens() {
    return Arrays.copyOf(output, numOutput);
  }

  void append(int token) {
    if (numOutput == output.length) output = Arrays.copyOf(output, numOutput * 2);
    output[numOutput++] = token;
  }

  /** In steady decode: everything but the last sampled token is cached. */
  boolean isDecoding() {
    return numOutput > 0 && numComputed == length() - 1;
  }

  /** Scheduling order: earlier arrival first, then submission order. */
  static int byPriority(Sequence a, Sequence b) {
    int c = Long.compare(a.request.priority(), b.request.priority());
    return c != 0 ? c : Integer.compare(a.id, b.id);
  }

  FinishedSeq toFinished(String reason) {
    return new FinishedSeq(id, request, outputTokens(), status, reason);
  }

  @Override
  public String toString() {
    return "seq " + id + " (" + request.requestId() + "#" + request.sampleIndex() + ", " + status + ", "
        + numComputed + "/" + length() + " computed)";
  }
}
