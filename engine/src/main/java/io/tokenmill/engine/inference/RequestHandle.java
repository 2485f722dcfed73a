package io.tokenmill.engine.inference;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A submitted request: its samples stream to the listener as each finishes (in finishing order), and
 * {@link #results()} completes with all of them, ordered by sample index. {@link #cancel()} aborts
 * whatever has not finished (e.g. when the Spark task that submitted it is killed).
 */
public final class RequestHandle {

  private final GenerationRequest request;
  private final Consumer<GenerationResult> listener;
  private final CompletableFuture<List<GenerationResult>> all = new CompletableFuture<>();
  private final List<GenerationResult> done = Collections.synchronizedList(new ArrayList<>());
  private final Runnable canceller;
  private RuntimeException listenerFailure;
  final long submittedNanos = System.nanoTime();
  /** Samples not yet retired by the scheduler; the engine thread's own count (results may still be on their way). */
  int unfinished;

  RequestHandle(GenerationRequest request, Consumer<GenerationResult> listener, java.util.function.Consumer<RequestHandle> cancel) {
    this.request = request;
    this.listener = listener;
    this.canceller = () -> cancel.accept(this);
  }

  public GenerationRequest request() {
    return request;
  }

  public CompletableFuture<List<GenerationResult>> results() {
    return all;
  }

  public void cancel() {
    if (!all.isDone()) canceller.run();
  }

  /** True once every sample has been handed over (even if the listener failed). */
  boolean allDelivered() {
    return done.size() == request.params().n();
  }

  /** Called by the engine's output thread once per sample. */
  void deliver(GenerationResult r) {
    if (listener != null) {
      try {
        listener.accept(r);
      } catch (RuntimeException e) {
        // A failing listener must not kill the engine thread that serves every other request; the
        // request's future reports it, and its other samples still run to completion (or cancel()).
        listenerFailure = e;
      }
    }
    done.add(r);
    if (done.size() == request.params().n()) {
      if (listenerFailure != null) {
        all.completeExceptionally(listenerFailure);
        return;
      }
      List<GenerationResult> sorted = new ArrayList<>(done);
      sorted.sort(java.util.Comparator.comparingInt(GenerationResult::sample));
      all.complete(List.copyOf(sorted));
    }
  }
}
