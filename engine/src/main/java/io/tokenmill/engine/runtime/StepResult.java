package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.FloatBuffer;

/**
 * The logits of one forward call, (B, vocab), one row per sequence (its last new token), still on the
 * device inside the step's memory scope. Closing it frees everything the step allocated.
 */
public final class StepResult implements AutoCloseable {

  private final NDManager step;
  private final NDArray logits;
  private final int vocab;
  private final Ops ops;
  private final long prepNanos;

  /**
   * DJL ops one forward issued (see {@link DecoderModel#countOps}): {@code layerOps} over {@code layers}
   * layer passes, {@code otherOps} outside the layers (input uploads, attention plan, RoPE rows,
   * embedding, final norm, LM head). Written by the forward, read-only afterwards.
   */
  public static final class Ops {
    long layerOps;
    int layers;
    long otherOps;
    int afterLayers;

    Ops() {}

    public long layerOps() {
      return layerOps;
    }

    public int layers() {
      return layers;
    }

    public long otherOps() {
      return otherOps;
    }
  }

  /** The greedy choice made with the logits (the native head), or null: computed on demand. */
  private final Greedy greedy;
  /** The logits in host memory where the kernels wrote them (the native head), else null. */
  private final FloatBuffer hostLogits;

  StepResult(NDManager step, NDArray logits, Greedy greedy, FloatBuffer hostLogits, int vocab, Ops ops,
      long prepNanos) {
    this.step = step;
    this.logits = logits;
    this.greedy = greedy;
    this.hostLogits = hostLogits;
    this.vocab = vocab;
    this.ops = ops;
    this.prepNanos = prepNanos;
  }

  /** The forward's op counts, or null when counting was off. */
  public Ops ops() {
    return ops;
  }

  /**
   * Wall time the forward spent in Java before its first layer: the token, position and cache-row arrays,
   * the attention plan, and their upload with the embedding lookup. Host work, in the engine's accounting.
   */
  public long prepNanos() {
    return prepNanos;
  }

  /** Arrays alive in the step's memory scope now: op counting around work done on these logits. */
  public int arraysInScope() {
    return step.getManagedArrays().size();
  }

  /**
   * The device array, for device-side sampling; valid until close, and after a native step with the head
   * (see {@link #madeGreedy}) only until this thread's next forward: it wraps the kernels' output buffer.
   */
  public NDArray logits() {
    return logits;
  }

  /**
   * Greedy choice per sequence, computed on the device: only B ids and B row maxima cross to Java. The
   * maxima are the finiteness check the sampler does per element, as one reduction: max propagates NaN,
   * so a row whose max is NaN, +Infinity or -Infinity holds a NaN, an overflow, or no samplable token.
   */
  public Greedy greedy() {
    if (greedy != null) return greedy;
    long[] ids = logits.argMax(1).toLongArray();
    float[] max = logits.max(new int[] {1}).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
    return greedyOf(out, max, vocab);
  }

  /**
   * The logits (B × vocab, row after row) where the native head wrote them, in host memory, or null (the
   * logits live on the device, or came out of a DJL op). Readable in place by a host sampler; valid as long
   * as {@link #logits}.
   */
  public FloatBuffer hostLogits() {
    return hostLogits;
  }

  /**
   * The greedy choice made with the logits, when the forward made it (the native vocab head: its argmax and
   * row maxima came back with the step), else null. Equal to what {@link #greedy} would compute.
   */
  public Greedy madeGreedy() {
    return greedy;
  }

  /** Greedy ids and their problems from each row's argmax and maximum (NaN when the row holds one). */
  static Greedy greedyOf(int[] ids, float[] max, int vocab) {
    String[] problems = new String[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (Float.isNaN(max[i])) {
        problems[i] = "logits hold NaN: the model produced a non-number";
      } else if (max[i] == Float.POSITIVE_INFINITY) {
        problems[i] = "logit[" + ids[i] + "] is +Infinity: the model overflowed";
      } else if (max[i] == Float.NEGATIVE_INFINITY) {
        problems[i] = "no token can be chosen: all " + vocab + " logits are -Infinity";
      }
    }
    return new Greedy(ids, problems);
  }

  /** Greedy choice per sequence; throws if any row's logits are not finite (see {@link #greedy}). */
  public int[] argmax() {
    return greedy().idsOrThrow();
  }

  /**
   * Greedy ids per row, and per row null or why the row has no valid choice (its id is then meaningless).
   */
  public record Greedy(int[] ids, String[] problems) {
    /** Throws for the first row without a valid choice; for callers that fail as a whole. */
    public int[] idsOrThrow() {
      for (int i = 0; i < problems.length; i++) {
        if (problems[i] != null) throw new IllegalStateException("row " + i + ": " + problems[i]);
      }
      return ids;
    }
  }

  /** All logits as Java arrays, [B][vocab]. */
  public float[][] toFloatArrays() {
    float[] flat = logits.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    float[][] out = new float[flat.length / vocab][vocab];
    for (int b = 0; b < out.length; b++) System.arraycopy(flat, b * vocab, out[b], 0, vocab);
    return out;
  }

  @Override
  public void close() {
    step.close();
  }
}
