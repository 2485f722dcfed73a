package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The logits of one forward call, (B, vocab), one row per sequence (its last new token), still on the
 * device inside the step's memory scope. Closing it frees everything the step allocated.
 */
public final class StepResult implements AutoCloseable {

  private final NDManager step;
  private final NDArray logits;
  private final int vocab;

  StepResult(NDManager step, NDArray logits, int vocab) {
    this.step = step;
    this.logits = logits;
    this.vocab = vocab;
  }

  /** The device array, for device-side sampling; valid until close. */
  public NDArray logits() {
    return logits;
  }

  /** Greedy choice per sequence, computed on the device (only B ids cross to Java). */
  public int[] argmax() {
    long[] ids = logits.argMax(1).toLongArray();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
    return out;
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
