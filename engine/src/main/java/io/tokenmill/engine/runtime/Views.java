package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Shape-only ops (views) straight through DJL's JNI. DJL's own {@code get(NDIndex)} parses its index and
 * its {@code reshape} infers the shape first: measured here 13-39 µs and 11-14 µs per call against 4-5 µs
 * for {@code JniUtils.slice} and {@code JniUtils.reshape} — for a decode step of a small model, whose
 * ops are mostly this small, that difference is a large part of the step. Results belong to the input's
 * manager, like every DJL op.
 */
public final class Views {

  private Views() {}

  /** x[..., start:end, ...] along {@code axis}. */
  public static NDArray slice(NDArray x, int axis, long start, long end) {
    return JniUtils.slice((PtNDArray) x, axis, start, end, 1);
  }

  /** x viewed with another shape of the same size (no -1). */
  public static NDArray reshape(NDArray x, long... shape) {
    return JniUtils.reshape((PtNDArray) x, shape);
  }

  /** x with its axes reordered. */
  public static NDArray permute(NDArray x, long... axes) {
    return JniUtils.permute((PtNDArray) x, axes);
  }

  /** x with two axes swapped. */
  public static NDArray transpose(NDArray x, int a, int b) {
    return JniUtils.transpose((PtNDArray) x, a, b);
  }

  /**
   * Rows of a 2-D {@code table} picked by an int64 index array of any shape → (index shape..., columns),
   * in the index's manager: libtorch's embedding lookup, whose contiguous-row path is several times faster
   * than DJL's advanced indexing ({@code get(NDIndex("{}", index))}).
   */
  public static NDArray rows(NDArray table, NDArray index) {
    return JniUtils.embedding((PtNDArray) index, (PtNDArray) table, false);
  }

  /** x reversed along {@code axis}. */
  public static NDArray flip(NDArray x, int axis) {
    return JniUtils.flip((PtNDArray) x, new long[] {axis});
  }
}
