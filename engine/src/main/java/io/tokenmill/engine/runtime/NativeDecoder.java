package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.tokenmill.engine.model.ModelConfig;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A model's layers as one native call per narrow step ({@link NativeKernels#decodeStep}): the kernels hold
 * the addresses of the weights DJL loaded (no copy) and run embedding, every layer and the final norm of a
 * step's new tokens (decodes, and prefill chunks batched with them), then — where the head is plain fp32 — the
 * vocab head and each row's greedy choice, handing back the logits in host memory for the sampler. Built by
 * {@link #of} only where every piece is plain fp32 on the CPU with the kernels loaded; the caller keeps
 * the weights alive until {@link #close}.
 */
final class NativeDecoder implements AutoCloseable {

  private final ModelConfig config;
  private long handle;
  private final int maxRows;
  /** Whether the vocab head is set in the kernels: {@link #step} with logits then runs it natively. */
  private boolean head;

  private NativeDecoder(ModelConfig config, long handle) {
    this.config = config;
    this.handle = handle;
    this.maxRows = NativeKernels.packsWeights(handle) ? Integer.MAX_VALUE : UNPACKED_MAX_ROWS;
  }

  /** Whether {@link #step} can end with the vocab head and the greedy choice ({@code withLogits}). */
  boolean hasHead() {
    return head;
  }

  /**
   * Most rows a step of a large model (unpacked weights) runs natively: up to here the kernels' GEMM, reading
   * each weight in place once a step, beats libtorch's (Qwen2.5-0.5B fp32, 2 threads: batch 1 17.5 vs 11.6
   * tok/s, batch 8 81 vs 53); at batch 32, compute-bound, MKL's packed GEMM wins (117 vs 84), so wider steps
   * take the DJL path with native attention (docs/PERFORMANCE.md "Native decode layers").
   */
  static final int UNPACKED_MAX_ROWS = Integer.getInteger("tokenmill.native_layers_max_rows", 16);

  /** The most rows a step may have to run here, at most {@code cap}. */
  int maxRows(int cap) {
    return Math.min(cap, maxRows);
  }

  /** Whether a step of {@code rows} token rows runs here rather than on the DJL path. */
  boolean takes(int rows) {
    return rows <= maxRows;
  }

  /**
   * The native decoder for {@code weights}, or null with the reason in {@code why[0]}: kernels not usable on
   * the device, projections held in fp16/bf16, sizes the kernels do not take, or a buffer DJL could not hand
   * out (an array over 2 GiB).
   */
  static NativeDecoder of(ModelConfig c, DecoderWeights w, ComputeDevice device, String[] why) {
    if (!NativeKernels.usableOn(device)) return refuse(why, "kernels " + NativeKernels.status() + ", device " + device);
    if (w.embedding() == null || w.embedding().getDataType() != DataType.FLOAT32) {
      return refuse(why, "the embedding is not fp32");
    }
    if (c.headDim() % 16 != 0) return refuse(why, "head_dim " + c.headDim() + " is not a multiple of 16");
    for (DecoderWeights.Layer l : w.layers()) {
      for (Projection p : new Projection[] {l.qkv(), l.o(), l.gateUp(), l.down()}) {
        if (p.half() != null || p.bf16() != null || p.weights().isEmpty()) {
          return refuse(why, "projections held in fp16/bf16");
        }
      }
    }
    long handle;
    try {
      handle = NativeKernels.newDecoder(c.numLayers(), c.vocabSize(), w.hidden(), w.paddedHidden(), c.numKvHeads(),
          c.groupSize(), c.headDim(), c.intermediateSize(), w.normConstant(),
          (float) Math.sqrt(c.headDim() * c.rmsNormEps()), buffer(w.embedding()), buffer(w.finalNorm()));
    } catch (RuntimeException e) { // DJL hands out no direct buffer over 2 GiB
      return refuse(why, "weights not addressable: " + e.getMessage());
    }
    if (handle == 0) return refuse(why, "shape refused by the kernels");
    NativeDecoder d = new NativeDecoder(c, handle);
    try {
      for (int i = 0; i < w.layers().size(); i++) {
        DecoderWeights.Layer l = w.layers().get(i);
        Projection[] ps = {l.qkv(), l.o(), l.gateUp(), l.down()};
        for (int which = 0; which < ps.length; which++) {
          List<NDArray> chunks = ps[which].weights();
          ByteBuffer[] bufs = new ByteBuffer[chunks.size()];
          int[] widths = new int[chunks.size()];
          for (int k = 0; k < bufs.length; k++) {
            bufs[k] = buffer(chunks.get(k));
            widths[k] = Math.toIntExact(chunks.get(k).getShape().get(1));
          }
          NDArray bias = ps[which].bias();
          int rc = NativeKernels.setProjection(handle, i, which, bufs, widths, bias == null ? null : buffer(bias));
          if (rc != NativeKernels.OK) {
            d.close();
            return refuse(why, "layer " + i + " projection " + which + " refused (code " + rc + ")");
          }
        }
        if (l.qkNorm() != null && NativeKernels.setQkNorm(handle, i, buffer(l.qkNorm())) != NativeKernels.OK) {
          d.close();
          return refuse(why, "layer " + i + " q/k norm refused");
        }
      }
    } catch (RuntimeException e) {
      d.close();
      return refuse(why, "weights not addressable: " + e.getMessage());
    }
    d.head = setHead(handle, w);
    return d;
  }

  /**
   * Hands the kernels the vocab head when it is plain fp32 input-major chunks (hidden, width): the CPU fp32
   * layout ({@link DecoderWeights}); otherwise the head stays in DJL.
   */
  private static boolean setHead(long handle, DecoderWeights w) {
    Projection p = w.lmHead();
    if (p.half() != null || p.bf16() != null || p.weights().isEmpty() || p.bias() != null) return false;
    List<NDArray> chunks = p.weights();
    ByteBuffer[] bufs = new ByteBuffer[chunks.size()];
    int[] widths = new int[chunks.size()];
    for (int k = 0; k < bufs.length; k++) {
      NDArray c = chunks.get(k);
      if (c.getShape().dimension() != 2 || c.getShape().get(0) != w.hidden() || c.getDataType() != DataType.FLOAT32) {
        return false;
      }
      try {
        bufs[k] = buffer(c);
      } catch (RuntimeException e) { // over 2 GiB: no direct buffer
        return false;
      }
      widths[k] = Math.toIntExact(c.getShape().get(1));
    }
    return NativeKernels.setProjection(handle, 0, 4, bufs, widths, null) == NativeKernels.OK;
  }

  private static NativeDecoder refuse(String[] why, String reason) {
    why[0] = reason;
    return null;
  }

  private static ByteBuffer buffer(NDArray a) {
    if (a.getDataType() != DataType.FLOAT32) throw new IllegalStateException(a.getDataType() + " array");
    return JniUtils.getByteBuffer((PtNDArray) a, true);
  }

  /**
   * What a step hands back: the final-normed hidden rows (outRows.length, hidden); with the head, also their
   * logits (outRows.length, vocab), each row's greedy id and maximum (NaN when a logit is NaN). The buffers
   * are valid until this thread's next step.
   */
  record Output(ByteBuffer hidden, ByteBuffer logits, int[] argmax, float[] max) {}

  /**
   * Runs one step's layers: row r is token {@code tokens[r]} at {@code positions[r]} with its block table at
   * {@code tables[r · width]} (a prefill chunk is several rows of one sequence). Returns the final-normed
   * hidden rows {@code outRows} and, {@code withLogits} (only where {@link #hasHead}), their logits and greedy
   * choice.
   *
   * @throws IllegalStateException naming the row for a bad token, block id or position
   */
  Output step(KvCache cache, int[] tokens, int[] positions, int[] tables, int width, int[] outRows,
      ByteBuffer[] rope, int ropeLength, int threads, boolean withLogits) {
    if (handle == 0) throw new IllegalStateException("native decoder closed");
    if (withLogits && !head) throw new IllegalStateException("the vocab head is not native here");
    int rows = tokens.length;
    int outCount = outRows.length;
    ByteBuffer out = ThreadBuffers.atLeast(HIDDEN, (long) outCount * config.hiddenSize() * Float.BYTES);
    ByteBuffer logits = withLogits ? ThreadBuffers.atLeast(LOGITS, (long) outCount * config.vocabSize() * Float.BYTES) : null;
    int[] argmax = withLogits ? new int[outCount] : null;
    float[] max = withLogits ? new float[outCount] : null;
    ByteBuffer[] pools = new ByteBuffer[config.numLayers()];
    for (int l = 0; l < pools.length; l++) pools[l] = cache.nativePool(l);
    int[] badRow = {-1};
    int rc = NativeKernels.decodeStep(handle, pools, rope[0], rope[1], out, outRows, outCount, tokens, positions, tables, rows,
        cache.numBlocks(), cache.blockSize(), width, ropeLength, threads, logits, argmax, max, badRow);
    if (rc != NativeKernels.OK) {
      throw new IllegalStateException("native decode step failed at row " + badRow[0] + ": " + NativeKernels.describe(
          rc, badRow[0], tokens, positions, config.vocabSize(), cache.numBlocks(), ropeLength));
    }
    return new Output(out, logits, argmax, max);
  }

  /**
   * Direct output buffers per thread, reused by every step: the caller reads them (or wraps them for the
   * sampler) before the thread's next step.
   */
  private static final ThreadLocal<ByteBuffer> HIDDEN = new ThreadLocal<>();
  private static final ThreadLocal<ByteBuffer> LOGITS = new ThreadLocal<>();

  @Override
  public synchronized void close() {
    if (handle != 0) {
      NativeKernels.freeDecoder(handle);
      handle = 0;
    }
  }
}
