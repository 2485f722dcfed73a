package io.tokenmill.engine.inference;

import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.runtime.StepBatch;
import io.tokenmill.engine.runtime.StepResult;
import io.tokenmill.engine.sampling.DeviceSampler;
import io.tokenmill.engine.sampling.SampledToken;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.sampling.TokenCounts;
import io.tokenmill.engine.sampling.TokenSampler;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's model runner (vLLM v1's {@code GPUModelRunner} role): a step batch in, sampled token ids
 * out. It owns the only NDArrays of the inference path — the model, the paged KV cache, the step's
 * logits — and samples every row on the device through {@link DeviceSampler} (greedy and sampled rows
 * alike), so only O(B) values come back to Java. Where the native kernels ran the vocab head (the CPU), the
 * logits already lie in host memory: a step of plain greedy rows takes the choice the kernels made, and any
 * other step is sampled where the logits lie by the oracle itself ({@link TokenSampler}), no device op at
 * all. It knows nothing of requests, stop conditions or text.
 *
 * <p>Rows are given per sequence of the batch: {@link Row#NONE} (a prefill chunk that ends before the
 * sequence's last token: its logits are ignored), {@link Row#forced} (the engine already knows the
 * token: a thinking-budget transition) or {@link Row#sample}. A row whose logits hold NaN or +Infinity,
 * or only -Infinity, gets no token but a problem, on the greedy path as on the sampling path.
 *
 * <p>Not thread-safe: called by the engine thread only.
 */
final class ModelRunner implements AutoCloseable {

  /** What one sequence of a step needs from its logits. */
  record Row(Kind kind, int forcedToken, SamplingParams params, TokenCounts history, double uniform, int[] banned) {
    enum Kind { NONE, FORCED, SAMPLE }

    static final Row NONE = new Row(Kind.NONE, -1, null, null, 0, null);

    static Row forced(int token) {
      return new Row(Kind.FORCED, token, null, null, 0, null);
    }

    /**
     * @param uniform the row's draw, a pure function of (seed, request, sample, token index)
     * @param banned ids the row may not produce at this step (null for none): EOS and stop ids before min_tokens
     */
    static Row sample(SamplingParams params, TokenCounts history, double uniform, int[] banned) {
      return new Row(Kind.SAMPLE, -1, params, history, uniform, banned);
    }
  }

  /**
   * A step's outcome, aligned with the batch: {@code tokens[i]} (-1 for NONE rows and failed rows),
   * {@code logprobs[i]} (when the row asked; forced tokens carry a NaN logprob), {@code problems[i]}
   * (why row i has no token, else null); {@code nanos} the wall time of forward + sampling,
   * {@code prepNanos} the Java-side input building inside it; op counts when counting is on, else -1.
   */
  record Output(int[] tokens, SampledToken[] logprobs, String[] problems, long nanos, long prepNanos,
      long layerOps, int layers, long otherOps) {}

  private final DecoderModel model;
  private final KvCache cache;
  private final DeviceSampler sampler;
  private volatile boolean countOps;

  ModelRunner(DecoderModel model, int numBlocks, int blockSize, int maxSeqLen) {
    this.model = model;
    this.cache = model.newKvCache(numBlocks, blockSize, maxSeqLen);
    this.sampler = new DeviceSampler(model.device().isGpu());
  }

  int kvBlocks() {
    return cache.numBlocks();
  }

  DecoderModel model() {
    return model;
  }

  /** Counts DJL ops per forward and per sampling call from now on (benchmarks, tests). */
  void countOps(boolean on) {
    countOps = on;
    model.countOps(on);
  }

  /** One forward over {@code batch}, then one device sampling call for every row that produces a token. */
  Output execute(StepBatch batch, Row[] rows) {
    long t0 = System.nanoTime();
    int b = rows.length;
    int[] tokens = new int[b];
    SampledToken[] logprobs = new SampledToken[b];
    String[] problems = new String[b];
    java.util.Arrays.fill(tokens, -1);
    try (StepResult r = model.forward(cache, batch)) {
      boolean counting = countOps && r.ops() != null;
      int arraysBefore = counting ? r.arraysInScope() : 0;
      // NOTE: every row goes to the sampler, those that need no token as greedy rows whose outcome is
      // dropped: the sampler then reads the logits in place instead of gathering the wanted rows
      // (a B x V copy); an argmax over a few extra rows costs less.
      List<DeviceSampler.Row> sampleRows = new ArrayList<>(b);
      boolean anyToSample = false;
      for (int i = 0; i < b; i++) {
        Row row = rows[i];
        if (row.kind() == Row.Kind.SAMPLE) {
          sampleRows.add(new DeviceSampler.Row(i, row.params(), row.history(), row.uniform(), row.banned()));
          anyToSample = true;
        } else {
          sampleRows.add(new DeviceSampler.Row(i, SamplingParams.GREEDY, null, 0));
        }
      }
      DeviceSampler.Outcome[] outcomes = !anyToSample ? null
          : r.hostLogits() != null && hostSamples(rows) ? sampleOnHost(r.hostLogits(), rows, r.madeGreedy())
          : sampler.sample(r.logits(), sampleRows);
      for (int i = 0; i < b; i++) {
        Row row = rows[i];
        if (row.kind() == Row.Kind.FORCED) {
          tokens[i] = row.forcedToken();
          logprobs[i] = SampledToken.of(row.forcedToken()); // not sampled: a NaN logprob
        } else if (row.kind() == Row.Kind.SAMPLE) {
          DeviceSampler.Outcome o = outcomes[i];
          if (o.problem() != null) {
            problems[i] = o.problem();
          } else {
            tokens[i] = o.token().tokenId();
            logprobs[i] = o.token();
          }
        }
      }
      long otherOps = counting ? r.ops().otherOps() + r.arraysInScope() - arraysBefore : -1;
      return new Output(tokens, logprobs, problems, System.nanoTime() - t0, r.prepNanos(),
          counting ? r.ops().layerOps() : -1, counting ? r.ops().layers() : 0, otherOps);
    }
  }

  /**
   * A row whose token is the argmax of its raw logits: greedy, no penalties, no banned ids, no logprobs. On
   * the host path ({@link #sampleOnHost}) such a row takes the greedy choice the forward already made (the
   * native vocab head), with its messages for rows without a valid choice: a step of them reads no logits.
   */
  private static boolean isPlainGreedy(Row row) {
    SamplingParams p = row.params();
    return p.isGreedy() && !p.hasPenalties() && p.logprobs() == null && (row.banned() == null || row.banned().length == 0);
  }

  /**
   * Whether the host sampler takes every row of a step whose logits lie in host memory: all but a row that
   * has banned ids and asks for logprobs (its logprobs come from the unmasked logits: the device sampler's
   * job).
   */
  private static boolean hostSamples(Row[] rows) {
    for (Row row : rows) {
      if (row.kind() == Row.Kind.SAMPLE && row.banned() != null && row.banned().length > 0
          && row.params().logprobs() != null) {
        return false;
      }
    }
    return true;
  }

  /**
   * Samples a step whose logits the native head wrote to host memory (the CPU): the sampler is the oracle
   * itself, {@link TokenSampler}, on each row where it lies (copied into one reused row array, V floats a
   * row; nothing crosses from a device). Plain greedy rows take the head's choice. Outcomes and messages are
   * the oracle's; a row whose logits it refuses (NaN, +Infinity, all -Infinity) gets its message as problem.
   */
  private DeviceSampler.Outcome[] sampleOnHost(FloatBuffer logits, Row[] rows, StepResult.Greedy made) {
    hostSampledSteps++;
    int vocab = logits.capacity() / rows.length;
    if (hostRow.length != vocab) hostRow = new float[vocab];
    DeviceSampler.Outcome[] out = new DeviceSampler.Outcome[rows.length];
    for (int i = 0; i < rows.length; i++) {
      Row row = rows[i];
      if (row.kind() != Row.Kind.SAMPLE) continue;
      if (made != null && isPlainGreedy(row)) {
        out[i] = made.problems()[i] != null ? new DeviceSampler.Outcome(null, made.problems()[i])
            : new DeviceSampler.Outcome(SampledToken.of(made.ids()[i]), null);
        continue;
      }
      logits.get(i * vocab, hostRow, 0, vocab);
      int[] banned = row.banned() == null ? new int[0] : row.banned();
      for (int id : banned) if (id >= 0 && id < vocab) hostRow[id] = Float.NEGATIVE_INFINITY;
      try {
        out[i] = new DeviceSampler.Outcome(hostSampler.sample(hostRow, row.params(), row.history(), row.uniform()), null);
      } catch (IllegalArgumentException e) {
        out[i] = new DeviceSampler.Outcome(null, e.getMessage());
      }
    }
    return out;
  }

  private final TokenSampler hostSampler = new TokenSampler();
  private float[] hostRow = new float[0];
  private long hostSampledSteps;

  /** Steps sampled on the host so far ({@link #sampleOnHost}); tests. */
  long hostSampledSteps() {
    return hostSampledSteps;
  }

  @Override
  public void close() {
    cache.close();
  }
}
