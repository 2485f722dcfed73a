package io.tokenmill.engine.generate;

import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.runtime.StepBatch;
import io.tokenmill.engine.runtime.StepResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Static-batch greedy generation: prefill every prompt in one call, then decode the unfinished ones
 * together until each stops at a stop id or the token limit. The simplest correct driver of
 * {@link DecoderModel}; the `complete` command, the benchmarks' baseline and the batch-invariance
 * tests use it. (Continuous batching with sampling is the engine's scheduler.)
 */
public final class GreedyGenerator {

  /** Sees each step's result before its tokens are appended; for tests that inspect logits. */
  @FunctionalInterface
  public interface StepListener {
    void onStep(int[] sequenceIndexes, StepResult result);
  }

  public static final int BLOCK_SIZE = 16;

  private final DecoderModel model;

  public GreedyGenerator(DecoderModel model) {
    this.model = model;
  }

  /** Completions (new tokens only, including a final stop id if one was produced), one per prompt. */
  public List<int[]> generate(List<int[]> prompts, int maxNewTokens, int[] stopIds) {
    return generate(prompts, maxNewTokens, stopIds, null);
  }

  public List<int[]> generate(List<int[]> prompts, int maxNewTokens, int[] stopIds, StepListener listener) {
    int[] limits = new int[prompts.size()];
    Arrays.fill(limits, maxNewTokens);
    return generate(prompts, limits, stopIds, listener);
  }

  /** As above with a token limit per prompt (the static-batching baseline of the reasoning benchmark). */
  public List<int[]> generate(List<int[]> prompts, int[] maxNewTokens, int[] stopIds, StepListener listener) {
    if (prompts.isEmpty()) return List.of();
    if (Arrays.stream(maxNewTokens).anyMatch(m -> m < 1)) throw new IllegalArgumentException("maxNewTokens must be >= 1");
    int b = prompts.size();
    int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
    int maxLen = longest + Arrays.stream(maxNewTokens).max().orElse(1);
    int perSeq = (maxLen + BLOCK_SIZE - 1) / BLOCK_SIZE;
    List<List<Integer>> out = new ArrayList<>();
    for (int i = 0; i < b; i++) out.add(new ArrayList<>());
    try (KvCache cache = model.newKvCache(perSeq * b, BLOCK_SIZE, maxLen)) {
      int[][] tables = cache.contiguousTables(b, maxLen);
      int[] seqs = new int[b];
      for (int i = 0; i < b; i++) {
        seqs[i] = i;
        if (prompts.get(i).length == 0) throw new IllegalArgumentException("prompt " + i + " is empty");
      }
      int[] next = step(cache, new StepBatch(tables, new int[b], prompts.toArray(new int[0][])), seqs, listener);
      while (true) {
        List<Integer> active = new ArrayList<>();
        for (int j = 0; j < seqs.length; j++) {
          int i = seqs[j];
          out.get(i).add(next[j]); // row j of the step is sequence seqs[j]
          boolean stopped = Arrays.stream(stopIds).anyMatch(s -> s == out.get(i).get(out.get(i).size() - 1));
          if (!stopped && out.get(i).size() < maxNewTokens[i]) active.add(i);
        }
        if (active.isEmpty()) break;
        int[] nextSeqs = active.stream().mapToInt(Integer::intValue).toArray();
        int[][] t = new int[nextSeqs.length][];
        int[] starts = new int[nextSeqs.length];
        int[] last = new int[nextSeqs.length];
        for (int j = 0; j < nextSeqs.length; j++) {
          int i = nextSeqs[j];
          t[j] = tables[i];
          starts[j] = prompts.get(i).length + out.get(i).size() - 1;
          last[j] = out.get(i).get(out.get(i).size() - 1);
        }
        next = step(cache, StepBatch.decode(t, starts, last), nextSeqs, listener);
        seqs = nextSeqs;
      }
    }
    List<int[]> result = new ArrayList<>();
    for (List<Integer> o : out) result.add(o.stream().mapToInt(Integer::intValue).toArray());
    return result;
  }

  private int[] step(KvCache cache, StepBatch batch, int[] seqs, StepListener listener) {
    try (StepResult r = model.forward(cache, batch)) {
      if (listener != null) listener.onStep(seqs, r);
      return r.greedy().idsOrThrow();
    }
  }

}
