package io.tokenmill.udfs.exec;

import io.tokenmill.engine.inference.GenerationRequest;
import io.tokenmill.engine.inference.GenerationResult;
import io.tokenmill.engine.inference.ReasoningOptions;
import io.tokenmill.engine.inference.RequestHandle;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.engine.tokenizer.ChatTemplate;
import io.tokenmill.udfs.eval.Score;
import io.tokenmill.udfs.rows.PromptRow;
import io.tokenmill.udfs.rows.ResultRow;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns a stream of prompt rows into a stream of result rows through a shared engine: keeps up to
 * {@link EngineSettings#inFlightPerTask()} requests submitted, and hands back each sample's row the moment
 * it finishes (not in input order). Samples an earlier run committed ({@link RunContext#committedSamples()})
 * are not emitted again. Bad rows (unreadable, empty prompt, too long for the
 * context, an override out of range, a template that fails) become rows with {@code error} set and
 * {@code finish_reason = error}; they never stop the stream.
 *
 * <p>One instance serves one task; {@link #cancelAll()} (from a task-completion listener) aborts what it
 * still has in the engine, so a killed task frees its KV memory at the engine's next step.
 */
public final class RowGenerator {

  private final LoadedEngine loaded;
  private final RunContext ctx;
  private final int attempt;
  private final LinkedBlockingQueue<Object> done = new LinkedBlockingQueue<>();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final Set<RequestHandle> live = ConcurrentHashMap.newKeySet();
  private volatile boolean cancelled;

  public RowGenerator(LoadedEngine loaded, RunContext ctx, int attempt) {
    this.loaded = loaded;
    this.ctx = ctx;
    this.attempt = attempt;
  }

  /** Aborts every request this generator still has in the engine. */
  public void cancelAll() {
    cancelled = true;
    for (RequestHandle h : live) h.cancel();
  }

  /** A result row with the prompt row it came from (the same object {@link #processWithSource} was given). */
  public record Sourced(PromptRow prompt, ResultRow row) {}

  /** Result rows for {@code rows}, streamed as samples finish; pulls input only as capacity frees up. */
  public Iterator<ResultRow> process(Iterator<PromptRow> rows) {
    Iterator<Sourced> sourced = processWithSource(rows);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return sourced.hasNext();
      }

      @Override
      public ResultRow next() {
        return sourced.next().row();
      }
    };
  }

  /**
   * {@link #process}, each row paired with its prompt row, so a caller can attach what it keeps per input row
   * (the pass-through columns) even when two input rows share an id.
   */
  public Iterator<Sourced> processWithSource(Iterator<PromptRow> rows) {
    return new Iterator<>() {
      private Sourced next;

      @Override
      public boolean hasNext() {
        try {
          while (next == null) {
            Object o = done.poll();
            if (o == null && rows.hasNext() && outstanding.get() < ctx.engine().inFlightPerTask()) {
              start(rows.next());
              continue;
            }
            if (o == null) {
              if (outstanding.get() == 0) {
                // A sample's listener queues its row *before* it decrements, so once nothing is outstanding
                // every row is in the queue: look again, since one may have landed after the poll above.
                o = done.poll();
                if (o == null) return false;
              } else {
                o = done.poll(200, TimeUnit.MILLISECONDS);
                if (o == null) continue;
              }
            }
            if (o instanceof Throwable t) throw new IllegalStateException("generation failed: " + t.getMessage(), t);
            next = (Sourced) o;
          }
          return true;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          cancelAll();
          throw new IllegalStateException("interrupted while generating", e);
        }
      }

      @Override
      public Sourced next() {
        if (!hasNext()) throw new NoSuchElementException();
        Sourced r = next;
        next = null;
        return r;
      }
    };
  }

  private void start(PromptRow row) throws InterruptedException {
    if (cancelled) throw new IllegalStateException("task cancelled");
    int n = ctx.generation().n();
    String problem = row.inputError();
    Set<Integer> committed = ctx.committedSamplesOf(row.id());
    String promptText = null;
    int[] ids = null;
    SamplingParams params = null;
    ReasoningOptions reasoning = null;
    if (problem == null) {
      try {
        promptText = render(row);
        ids = loaded.tokenizer().encode(promptText);
        if (ids.length == 0) throw new IllegalArgumentException("the prompt encodes to no tokens");
        int room = loaded.maxSeqLen() - ids.length;
        if (room < 1) {
          throw new IllegalArgumentException("prompt has " + ids.length + " tokens; the context (engine.max_seq_len "
              + loaded.maxSeqLen() + ") leaves no room to generate");
        }
        params = ctx.generation().paramsFor(row.overrides(), room);
        int vocab = loaded.dir().config().vocabSize();
        for (int stopId : params.stopTokenIds()) {
          if (stopId >= vocab) {
            throw new IllegalArgumentException((row.overrides().stopTokenIds() != null ? "override column "
                : "generation.") + "stop_token_ids holds " + stopId + ", outside the model's vocabulary of " + vocab);
          }
        }
        reasoning = ctx.generation().reasoningFor(row.overrides());
      } catch (RuntimeException e) {
        problem = e.getMessage() == null ? e.toString() : e.getMessage();
      }
    }
    if (problem != null) {
      for (int s = 0; s < n; s++) {
        if (!committed.contains(s)) {
          done.add(new Sourced(row,
              errorRow(row, s, ctx.keepPromptText() ? promptText : null, ids == null ? 0 : ids.length, problem)));
        }
      }
      return;
    }
    final String keptPrompt = ctx.keepPromptText() ? promptText : null;
    outstanding.addAndGet(n);
    RequestHandle h;
    try {
      h = loaded.engine().submit(new GenerationRequest(row.id(), ids, params, reasoning),
          r -> {
            try {
              if (!committed.contains(r.sample())) done.add(new Sourced(row, toRow(row, keptPrompt, r)));
            } catch (RuntimeException e) {
              done.add(e);
            } finally {
              outstanding.decrementAndGet();
            }
          });
    } catch (RuntimeException e) {
      outstanding.addAndGet(-n);
      throw e;
    }
    live.add(h);
    h.results().whenComplete((results, failure) -> {
      live.remove(h);
      if (failure != null) done.add(failure);
    });
  }

  private String render(PromptRow row) {
    List<ChatMessage> messages = new ArrayList<>();
    if (row.messages() != null) {
      if (row.system() != null && !row.system().isEmpty() && !row.messages().get(0).role().equals("system")) {
        messages.add(ChatMessage.system(row.system()));
      }
      messages.addAll(row.messages());
    } else {
      if (row.prompt() == null || row.prompt().isBlank()) {
        throw new IllegalArgumentException("the prompt is " + (row.prompt() == null ? "null" : "empty"));
      }
      if (row.system() != null && !row.system().isEmpty()) messages.add(ChatMessage.system(row.system()));
      messages.add(ChatMessage.user(row.prompt()));
    }
    ChatTemplate template = loaded.chatTemplate().orElse(null);
    if (template == null) {
      if (row.messages() == null && messages.size() == 1) return row.prompt(); // a base model: raw text
      throw new IllegalArgumentException("the model has no chat_template, so messages/system cannot be rendered;"
          + " give a plain prompt");
    }
    return template.render(messages, true, ctx.generation().enableThinking());
  }

  private ResultRow toRow(PromptRow row, String promptText, GenerationResult r) {
    String finish = r.finishReason().name().toLowerCase(Locale.ROOT);
    String error = r.error();
    Score score = new Score(null, null);
    if (error == null) {
      try {
        score = ctx.scorer().score(r.answer(), row.reference());
      } catch (IllegalArgumentException e) { // a reference the verifier cannot read: keep the output, say why
        error = "reference column: " + e.getMessage();
      }
    }
    return new ResultRow(row.id(), r.sample(), promptText, r.reasoning(), r.answer(), score.extracted(),
        score.correct(), row.reference(), finish, r.promptTokens(), r.reasoningTokens(), r.answerTokens(),
        r.transitionTokens(), r.logprobs() == null ? null : TokenLogprobs.ids(r.outputIds()), TokenLogprobs.chosen(r.logprobs()),
        TokenLogprobs.topJson(r.logprobs()), Math.max(0, r.ttftMs()), r.latencyMs(), ctx.modelName(), loaded.deviceName(), ctx.runId(), attempt, error);
  }

  private ResultRow errorRow(PromptRow row, int sample, String promptText, int promptTokens, String error) {
    return new ResultRow(row.id(), sample, promptText, null, null, null, null, row.reference(), "error",
        promptTokens, 0, 0, 0, null, null, null, 0, 0, ctx.modelName(), loaded.deviceName(), ctx.runId(), attempt, error);
  }
}
