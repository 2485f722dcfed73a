package io.tokenmill.engine.scheduler;

/**
 * Every token-level stop decision of the engine, in one place (vLLM v1's {@code check_stop}): called by
 * {@link Scheduler#update} for each token it appends, so a stopped sequence is never scheduled again.
 *
 * <ol>
 *   <li>A stop token — EOS (unless the request ignores it) or one of its stop ids, as collected in
 *       {@link SchedRequest#stopTokenIds()} — ends the sequence with {@link SeqStatus#FINISHED_STOPPED}.
 *       Tokens the engine forced (thinking-budget transitions) are not model choices and never stop it.
 *   <li>Else reaching {@code maxNewTokens} or the context limit ends it with
 *       {@link SeqStatus#FINISHED_LENGTH}.
 * </ol>
 *
 * <p>NOTE: a stop token that is also the last allowed token reports STOPPED, not LENGTH: the model did
 * choose to end there, and the result shows finish_reason = stop with the stop token hidden (the engine
 * always reported it so). {@code min_tokens} needs no rule here: until a sample has that many outputs the
 * sampler cannot choose its stop tokens (the output processor bans them in the sample's runner row).
 *
 * <p>Text-level stops (stop strings, which need detokenised text) and the thinking controller's answer
 * budget are decided by the engine's output processor on the same step, before the next schedule().
 */
final class StopChecker {

  private StopChecker() {}

  /** The status {@code s} finishes with after appending {@code token}, or null when it goes on. */
  static SeqStatus check(Sequence s, int token, boolean forced, int maxModelLen) {
    if (!forced && s.request.isStopToken(token)) return SeqStatus.FINISHED_STOPPED;
    if (s.numOutput() >= s.request.maxNewTokens() || s.length() >= maxModelLen) return SeqStatus.FINISHED_LENGTH;
    return null;
  }
}
