package io.tokenmill.engine.runtime;

import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * The engine's own CPU kernels, below DJL: {@code engine/src/main/native/*.c}, compiled at
 * build time into the jar ({@code engine/src/main/native/build.sh}) and loaded once per JVM: a decode step's
 * attention for one layer straight on the paged KV cache ({@link #decodeAttention}), and a whole decode step's
 * layers ({@link #decodeStep}, {@link NativeDecoder}); docs/PERFORMANCE.md "Native decode attention" and
 * "Native decode layers".
 *
 * <p>System property {@value #PROPERTY}: {@code auto} (default) loads the library from the jar, {@code off}
 * keeps the engine on its DJL path, a file path loads that library. When the library is absent (a jar
 * built without a C compiler, another platform) or fails to load, the engine runs the DJL path and
 * {@link #status()} says why; nothing else changes.
 */
public final class NativeKernels {

  /** {@code auto}, {@code off}, or the path of a built {@code libtokenmill-kernels.so}. */
  public static final String PROPERTY = "tokenmill.native_kernels";

  private static final String LIBRARY = "libtokenmill-kernels.so";
  private static final boolean LOADED;
  private static final String STATUS;

  static {
    String setting = System.getProperty(PROPERTY, "auto").trim();
    boolean loaded = false;
    String status;
    try {
      if (setting.equalsIgnoreCase("off")) {
        status = "off (-D" + PROPERTY + "=off)";
      } else if (!setting.equalsIgnoreCase("auto")) {
        System.load(Path.of(setting).toAbsolutePath().toString());
        loaded = true;
        status = "loaded from " + setting;
      } else {
        String platform = platform();
        String resource = "native/" + platform + "/" + LIBRARY;
        try (InputStream in = NativeKernels.class.getResourceAsStream(resource)) {
          if (platform == null || in == null) {
            status = "not built for " + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                + " in this jar (no C compiler at build time?)";
          } else {
            Path file = Files.createTempFile("tokenmill-kernels", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toString());
            loaded = true;
            status = "loaded (" + platform + ")";
          }
        }
      }
    } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
      status = "failed to load: " + e;
    }
    LOADED = loaded;
    STATUS = status;
  }

  private NativeKernels() {}

  /** Whether the kernels are loaded and may be used. */
  public static boolean available() {
    return LOADED;
  }

  /** Whether the kernels may run for {@code device}: loaded, and the device is the CPU in fp32. */
  static boolean usableOn(ComputeDevice device) {
    return LOADED && !device.isGpu() && device.dataType() == DataType.FLOAT32;
  }

  /** One line for logs and {@code bench}: loaded, off, or why not. */
  public static String status() {
    return STATUS;
  }

  private static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.startsWith("linux")) return null;
    if (arch.equals("amd64") || arch.equals("x86_64")) return "linux-x86_64";
    if (arch.equals("aarch64")) return "linux-aarch64";
    return null;
  }

  /**
   * Threads one layer's native attention may use: {@code -Dtokenmill.attention_threads}, else the GEMM
   * threads ({@code tokenmill.gemm_threads}, {@code ai.djl.pytorch.num_threads}, cores). Attention at long
   * contexts is bound by memory reads, which two cores serve about twice as fast as one.
   */
  static final int THREADS = Math.max(1, Integer.getInteger("tokenmill.attention_threads", Projection.GEMM_THREADS));

  /** Return codes of {@link #decodeAttention}. */
  static final int OK = 0;
  static final int BAD_BLOCK = 1;
  static final int BAD_POSITION = 2;
  static final int BAD_BUFFER = 3;
  static final int NO_MEMORY = 4;
  static final int BAD_SHAPE = 5;
  static final int BAD_TOKEN = 6;

  /**
   * What a kernel's error code means for the caller's rows: {@code row} is the offending row (or -1), {@code
   * tokens} null where the call takes no token ids.
   */
  static String describe(int rc, int row, int[] tokens, int[] positions, int vocab, int numBlocks, int ropeLength) {
    int r = Math.max(0, row);
    return switch (rc) {
      case BAD_TOKEN -> "token id " + (tokens == null ? "?" : tokens[r]) + " outside vocab [0, " + vocab + ")";
      case BAD_BLOCK -> "a block id outside the cache's " + numBlocks + " blocks";
      case BAD_POSITION -> "position " + positions[r] + " outside its block table or the RoPE tables (" + ropeLength + ")";
      case BAD_BUFFER -> "a buffer smaller than its shape";
      case NO_MEMORY -> "no memory for the step's temporaries";
      default -> "bad shape (code " + rc + ")";
    };
  }

  /**
   * One layer of a decode step (every row one sequence's one new token): rotates the queries and the key
   * of {@code grouped} (rows, nKv, g + 2, hd) at {@code positions}, writes the key and value to the cache
   * {@code pool} (2, nKv, numBlocks, blockSize, hd) through each row's block table ({@code tables}, rows ×
   * tableWidth), and writes attention over positions [0, pos] to {@code out} (rows, nKv·g·hd). All buffers
   * are direct, fp32, native order. Up to {@code threads} threads share the (row, head) pairs when the
   * layer reads enough keys to pay for waking them (the calling thread and parked helpers). Returns {@link
   * #OK} or an error code: for a bad block id or position, with the row in {@code badRow[0]} and nothing
   * written (every row is checked first).
   */
  static native int decodeAttention(ByteBuffer grouped, ByteBuffer pool, ByteBuffer cos, ByteBuffer sin,
      ByteBuffer out, int[] positions, int[] tables, int rows, int kvHeads, int groupSize, int headDim,
      int numBlocks, int blockSize, int tableWidth, int ropeLength, int threads, int[] badRow);

  /**
   * A model's shape and the weights a decode step reads before its layers: the embedding (vocab, h) and the
   * final norm weight (hp), fp32 direct buffers that must outlive the handle. Returns a handle for {@link
   * #setProjection}, {@link #setQkNorm}, {@link #decodeStep} and {@link #freeDecoder}, or 0 when the shape is
   * not one the kernels take (hp and head_dim multiples of 16) or a buffer is short.
   */
  static native long newDecoder(int layers, int vocab, int hidden, int paddedHidden, int kvHeads, int groupSize,
      int headDim, int intermediate, float normConstant, float qkNormFloor, ByteBuffer embedding,
      ByteBuffer finalNorm);

  /**
   * A layer's projection {@code which} (0 q/k/v, 1 o, 2 gate|up, 3 down, {@link DecoderWeights}' layouts), or
   * the model's vocab head ({@code which} 4, {@code layer} 0, no bias: (hidden, vocab)): input-major column
   * chunks (in, widths[c]) and the bias or null. Returns {@link #OK} or an error code.
   */
  static native int setProjection(long handle, int layer, int which, ByteBuffer[] chunks, int[] widths,
      ByteBuffer bias);

  /** Qwen3's q/k norm weight of a layer, (nKv, g + 2, hd) as {@link DecoderWeights} holds it. */
  static native int setQkNorm(long handle, int layer, ByteBuffer weight);

  /**
   * Whether a decoder's projections are held as packed copies (layers of at most 8 MiB of weights: small
   * models, whose steps are also split by sequence across threads).
   */
  static native boolean packsWeights(long handle);

  /** Frees a handle of {@link #newDecoder}. */
  static native void freeDecoder(long handle);

  /**
   * One step through every layer ({@link NativeDecoder}): {@code rows} new tokens (tokens, positions and block
   * tables as in {@link #decodeAttention}; a prefill chunk is one row per token, each with its sequence's
   * table), each layer's cache pool, the RoPE tables; writes the final-normed hidden rows {@code outRows}
   * (each sequence's last) to {@code out} (outCount, hidden). With {@code logits} (non-null only once the vocab
   * head is set: {@link #setProjection} {@code which} 4), also their logits (outCount, vocab) there, and per
   * row the greedy id ({@code argmax}: the first maximum, or the first NaN) and the row maximum ({@code max}:
   * NaN when any logit is NaN). Returns {@link #OK} or an error code with the row in {@code badRow[0]} for
   * {@link #BAD_TOKEN}, {@link #BAD_BLOCK} and {@link #BAD_POSITION}, found before anything is written.
   */
  static native int decodeStep(long handle, ByteBuffer[] pools, ByteBuffer cos, ByteBuffer sin, ByteBuffer out,
      int[] outRows, int outCount, int[] tokens, int[] positions, int[] tables, int rows, int numBlocks, int blockSize, int tableWidth,
      int ropeLength, int threads, ByteBuffer logits, int[] argmax, float[] max, int[] badRow);
}
