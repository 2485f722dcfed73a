package io.tokenmill.engine.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * What one {@link Scheduler#schedule()} call has decided so far: remaining token budget, the sequences
 * scheduled with their token counts (in order: running first, then admitted), and the sequences preempted
 * or finished on the way. Turned into the immutable {@link SchedulerOutput} at the end of the call.
 */
final class StepPlan {

  int budget;
  private final List<Sequence> seqs = new ArrayList<>();
  private final List<Integer> counts = new ArrayList<>();
  final List<Integer> preempted = new ArrayList<>();
  final List<FinishedSeq> finished = new ArrayList<>();

  StepPlan(int budget) {
    this.budget = budget;
  }

  void add(Sequence s, int numTokens) {
    seqs.add(s);
    counts.add(numTokens);
    budget -= numTokens;
  }

  SchedulerOutput toOutput(long step, int numRunning) {
    List<ScheduledSeq> scheduled = new ArrayList<>(seqs.size());
    int prefill = 0;
    int decode = 0;
    for (int k = 0; k < seqs.size(); k++) {
      Sequence s = seqs.get(k);
      int n = counts.get(k);
      // Recompute after preemption counts as prefill; a re-admitted sequence missing only its last
      // token's K/V is back in decode.
      if (s.isDecoding()) decode += n;
      else prefill += n;
      int end = s.numComputed + n;
      // NOTE: only a chunk that reaches the last known token yields a token; earlier prefill chunks only
      // fill the cache, and the runner may skip their logits.
      scheduled.add(new ScheduledSeq(s.id, s.table.toArray(), s.numComputed, s.tokens(s.numComputed, end),
          end == s.length()));
    }
    return new SchedulerOutput(step, scheduled, preempted, finished, prefill, decode, numRunning);
  }
}
