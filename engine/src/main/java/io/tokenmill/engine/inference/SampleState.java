package io.tokenmill.engine.inference;

import io.tokenmill.engine.reasoning.ThinkingController;
import io.tokenmill.engine.sampling.SampledToken;
import io.tokenmill.engine.sampling.StopStringMatcher;
import io.tokenmill.engine.sampling.TokenCounts;
import io.tokenmill.engine.tokenizer.StreamDecoder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What the engine keeps for one sample beside the scheduler's ids and counts: its token history (for
 * penalties), thinking controller and pending forced tokens, stop-string matcher, logprobs and timings.
 * Written by the engine thread while the sample runs; handed whole to the output thread when it finishes
 * (the hand-over through the output queue orders the writes before the reads).
 */
final class SampleState {
  final RequestHandle handle;
  final int sample;
  /** The ids that end this sample (EOS unless ignored, its stop ids), computed once at admission. */
  final int[] endIds;
  final TokenCounts counts;
  final ThinkingController thinking;
  final ArrayDeque<Integer> forced = new ArrayDeque<>();
  final StopStringMatcher stops;
  final StreamDecoder decoder;
  final List<SampledToken> logprobs; // aligned with the output tokens when requested
  /** Forced tokens (transition, {@code </think>}, after-think) that became output. */
  int forcedEmitted;
  /** Ended by the model: a stop token or a stop string (not by a length or budget limit). */
  boolean stopped;
  /** The text up to the stop string, when one matched. */
  String stopText;
  long firstScheduledNanos = -1;
  long firstTokenNanos = -1;

  SampleState(RequestHandle handle, int sample, int[] endIds, ThinkingController thinking,
      StopStringMatcher stops, StreamDecoder decoder) {
    this.handle = handle;
    this.sample = sample;
    this.endIds = endIds;
    this.counts = new TokenCounts(handle.request().promptIds());
    this.thinking = thinking;
    this.stops = stops;
    this.decoder = decoder;
    this.logprobs = handle.request().params().logprobs() != null ? new ArrayList<>() : null;
  }

  GenerationRequest request() {
    return handle.request();
  }
}
