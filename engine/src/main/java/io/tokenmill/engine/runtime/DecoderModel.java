package io.tokenmill.engine.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.weights.Checkpoint;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The Llama/Qwen2/Qwen3 decoder on DJL NDArrays: one batched call runs any mix of prefill chunks and
 * decode steps (see {@link StepBatch}) against a {@link KvCache}, and returns the logits of each
 * sequence's last new token. All temporaries of a call live in one sub-manager closed with the
 * {@link StepResult}, so nothing accumulates across steps.
 *
 * <p>Activations are flattened to (N, padded hidden) rows, exactly the step's new tokens, so every
 * projection is one GEMM over the whole batch. A layer is few, large ops (27 per decode step for Qwen2,
 * {@code OpCountTest}): RMSNorm is one {@code normalize} of the padded residual stream, residual adds ride
 * in the o and down GEMMs, q/k/v come out grouped per KV head and are rotated together by one
 * multiply-add with a flip, keys and values go to the cache in one index_put, and attention reads keys
 * and values gathered as token rows of whole blocks, already in its shape, without further copies. How
 * the weights are rearranged for this: {@link DecoderWeights}.
 */
public final class DecoderModel implements AutoCloseable {

  private final ModelConfig config;
  private final ComputeDevice device;
  private final NDManager manager;
  private final DecoderWeights weights;
  private final MirroredRope rope;
  private final PtNDArray valueRows;
  private volatile boolean countOps;
  /** Decode steps run attention in {@link NativeKernels} (CPU fp32 only); see {@link #useNativeAttention}. */
  private volatile boolean nativeAttention;
  /** Narrow steps' layers as one native call ({@link NativeDecoder}); null where they cannot run (see {@link #nativeLayersStatus}). */
  private final NativeDecoder nativeDecoder;
  private final String nativeLayersStatus;
  private volatile boolean nativeLayers;
  private volatile boolean nativeHead;

  private DecoderModel(ModelConfig config, ComputeDevice device, NDManager manager, DecoderWeights weights) {
    this.config = config;
    this.device = device;
    this.manager = manager;
    this.weights = weights;
    this.attentionGroupBytes = device.isGpu() ? Long.MAX_VALUE : CPU_ATTENTION_GROUP_BYTES;
    this.rope = new MirroredRope(config, manager.newSubManager(), device.dataType());
    this.valueRows = config.architecture().qkNorm() ? valueRows(config, manager) : null;
    this.nativeAttention = NativeKernels.usableOn(device);
    String[] why = {null};
    this.nativeDecoder = NativeDecoder.of(config, weights, device, why);
    this.nativeLayersStatus = nativeDecoder != null ? "native" : why[0];
    this.nativeLayers = nativeDecoder != null && !"off".equalsIgnoreCase(System.getProperty(NATIVE_LAYERS, "auto").trim());
    this.nativeHead = nativeDecoder != null && nativeDecoder.hasHead()
        && !"off".equalsIgnoreCase(System.getProperty(NATIVE_HEAD, "auto").trim());
  }

  /** System property: {@code off} keeps the vocab head of native steps in DJL ({@link #useNativeHead}); A/B runs. */
  public static final String NATIVE_HEAD = "tokenmill.native_head";

  /**
   * Whether a native step ({@link #useNativeLayers}) also runs the vocab head and each row's greedy choice
   * (argmax and row maximum, the finiteness check) in its one call — the kernels' GEMM on the input-major fp32
   * head — so that a greedy step crosses into libtorch not at all; the logits are still handed back, wrapped
   * as an array, for sampled rows. On by default where the head is plain fp32.
   *
   * @throws IllegalStateException when asked to turn it on where it cannot run
   */
  public void useNativeHead(boolean on) {
    if (on && (nativeDecoder == null || !nativeDecoder.hasHead())) {
      throw new IllegalStateException("the vocab head cannot run natively here: "
          + (nativeDecoder == null ? nativeLayersStatus : "not plain fp32 input-major"));
    }
    nativeHead = on;
  }

  /** Whether native steps run the vocab head too ({@link #useNativeHead}). */
  public boolean nativeHead() {
    return nativeHead && nativeLayers();
  }

  /** System property: {@code off} starts models with native decode layers off ({@link #useNativeLayers}); A/B runs. */
  public static final String NATIVE_LAYERS = "tokenmill.native_layers";

  /**
   * Whether narrow steps (up to {@link #nativeLayersMaxRows} token rows: decodes and the prompt chunks batched
   * with them) run all their layers — embedding, norms, the four projections, attention, SiLU, residuals,
   * final norm — as one native call ({@link NativeDecoder}; with the vocab head, see {@link #useNativeHead}); on by
   * default where it can run: the native attention's conditions, plus every projection plain fp32 (not the
   * fp16/bf16 copies of {@code cpu-f16} / {@code cpu-bf16}) and head_dim a multiple of 16. Needs {@link
   * #useNativeAttention} on. Wider steps take the DJL path (with native attention for their single-token rows).
   *
   * @throws IllegalStateException when asked to turn it on where it cannot run
   */
  public void useNativeLayers(boolean on) {
    if (on && nativeDecoder == null) throw new IllegalStateException("native decode layers cannot run here: " + nativeLayersStatus);
    nativeLayers = on;
  }

  /** Whether narrow steps run their layers natively ({@link #useNativeLayers}, and native attention on). */
  public boolean nativeLayers() {
    return nativeLayers && nativeAttention;
  }

  /** The RoPE tables as direct buffers (tests of {@link NativeDecoder}); null when not CPU fp32. */
  ByteBuffer[] ropeTablesForTests() {
    return rope.nativeTables();
  }

  int ropeLengthForTests() {
    return rope.length();
  }

  /** The native decoder, or null where it cannot run (tests). */
  NativeDecoder nativeDecoder() {
    return nativeDecoder;
  }

  /** Most token rows a step may have to run natively ({@link #useNativeLayers}); 0 where it cannot run. */
  public int nativeLayersMaxRows() {
    return nativeDecoder == null ? 0 : nativeDecoder.maxRows(NARROW_STEP_ROWS - 1);
  }

  /** "native", or why decode layers cannot run natively here. */
  public String nativeLayersStatus() {
    return nativeLayersStatus;
  }

  /**
   * Whether a step's single-token sequences (decodes) run each layer's RoPE, cache write and attention as
   * one native call on the paged cache ({@link NativeKernels#decodeAttention}) instead of the DJL ops that
   * gather every sequence's blocks; on by default where the kernels are loaded and the device is the CPU in
   * fp32. Prefill chunks take the DJL path; in a step that mixes both, each part takes its own and the
   * outputs are put back in row order (3 more ops per layer than either alone). Tests and benchmarks switch
   * it to compare.
   *
   * @throws IllegalStateException when asked to turn it on where it cannot run
   */
  public void useNativeAttention(boolean on) {
    if (on && !NativeKernels.usableOn(device)) {
      throw new IllegalStateException("native attention cannot run here: kernels " + NativeKernels.status()
          + ", device " + device);
    }
    nativeAttention = on;
  }

  /** Whether decode steps use {@link NativeKernels} ({@link #useNativeAttention}). */
  public boolean nativeAttention() {
    return nativeAttention;
  }

  /** (g + 2, 1): true on each KV group's value head, which Qwen3's q/k norm leaves as it is. */
  private static PtNDArray valueRows(ModelConfig config, NDManager manager) {
    boolean[] isValue = new boolean[config.groupSize() + 2];
    isValue[config.groupSize() + 1] = true;
    return (PtNDArray) manager.create(isValue, new Shape(config.groupSize() + 2, 1));
  }

  /** Loads {@code config.json} and the safetensors weights of a model dir onto a device. */
  public static DecoderModel load(Path modelDir, ComputeDevice device) {
    ModelConfig config = ModelConfig.read(modelDir.resolve("config.json"));
    return load(config, modelDir, device);
  }

  public static DecoderModel load(ModelConfig config, Path modelDir, ComputeDevice device) {
    NDManager manager = NDManager.newBaseManager(device.device());
    manager.setName("tokenmill-model");
    try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
      NDManager weightScope = manager.newSubManager();
      weightScope.setName("tokenmill-weights");
      DecoderWeights weights = DecoderWeights.load(config, ckpt, weightScope, device);
      // Nothing may attach to the weights after loading: a step op whose result landed here would be a
      // leak growing with every token, so make it throw instead.
      weightScope.cap();
      return new DecoderModel(config, device, manager, weights);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  public ModelConfig config() {
    return config;
  }

  public ComputeDevice device() {
    return device;
  }

  /** The model's root memory scope (weights, RoPE tables, caches and steps are its sub-scopes). */
  public NDManager manager() {
    return manager;
  }

  /**
   * A paged cache of {@code numBlocks} blocks of {@code blockSize} tokens; positions up to
   * {@code maxPositions} get RoPE tables.
   */
  public KvCache newKvCache(int numBlocks, int blockSize, int maxPositions) {
    if (maxPositions > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException("maxPositions " + maxPositions + " exceeds max_position_embeddings "
          + config.maxPositionEmbeddings());
    }
    rope.ensure(maxPositions);
    return new KvCache(manager, config, device, numBlocks, blockSize);
  }

  /**
   * Turns op counting on or off for later forwards (off by default). When on, each {@link StepResult}
   * carries how many DJL ops the forward issued, per layer and outside the layers: every op that
   * reaches libtorch returns a new NDArray in the scope of its first operand, so the count is the arrays
   * a layer's scope (or the step's) gained, plus the two in-place K/V cache writes per layer, which
   * create none. Counting walks those scopes once per layer, so it is for benchmarks and tests.
   */
  public void countOps(boolean on) {
    countOps = on;
  }

  /** Projections holding an fp16 copy for narrow steps ({@link ComputeDevice#halfGemv}): tests, bench. */
  public int halfProjections() {
    return projectionsWith(p -> p.half() != null);
  }

  /** Projections held as bf16 only ({@link ComputeDevice#bf16Weights}): tests, bench. */
  public int bf16Projections() {
    return projectionsWith(p -> p.bf16() != null);
  }

  /** How many of the model's projections (every layer's four, and the vocab head) satisfy {@code test}. */
  private int projectionsWith(java.util.function.Predicate<Projection> test) {
    int n = test.test(weights.lmHead()) ? 1 : 0;
    for (DecoderWeights.Layer l : weights.layers()) {
      for (Projection p : new Projection[] {l.qkv(), l.o(), l.gateUp(), l.down()}) n += test.test(p) ? 1 : 0;
    }
    return n;
  }

  /** Most token rows of a step that multiplies by the fp16 copies; 0 when this model holds none. */
  public int halfGemvMaxRows() {
    return halfProjections() > 0 ? Projection.HALF_GEMV_ROWS : 0;
  }

  /** Runs one batched step; the caller closes the result. */
  public StepResult forward(KvCache cache, StepBatch batch) {
    rope.ensure(batch.maxContext());
    NDManager step = manager.newSubManager();
    StepResult.Ops ops = countOps ? new StepResult.Ops() : null;
    long[] prepNanos = new long[1];
    try {
      StepLogits out = run(step, cache, batch, ops, prepNanos);
      if (ops != null) ops.otherOps += step.getManagedArrays().size() - ops.afterLayers;
      return new StepResult(step, out.logits(), out.greedy(), out.host(), config.vocabSize(), ops, prepNanos[0]);
    } catch (RuntimeException e) {
      step.close();
      throw e;
    }
  }

  /**
   * On CPU, attention groups are cut so that their gathered keys and values, scores and probabilities
   * stay under this ({@link AttentionPlan#capped}): half of glibc's largest mmap threshold, so each is
   * served from reused heap memory instead of fresh pages. Each group is closed before the next gathers.
   */
  static final long CPU_ATTENTION_GROUP_BYTES = 16L << 20;

  private long attentionGroupBytes;

  /**
   * Sets the most bytes one attention group's temporaries may take ({@link AttentionPlan#build});
   * {@link Long#MAX_VALUE} turns cutting off. Defaults: {@link #CPU_ATTENTION_GROUP_BYTES} on CPU, no limit
   * on a GPU (its caching allocator reuses memory). Tests use small values to force cut groups and pieces.
   */
  void limitAttentionGroups(long bytes) {
    if (bytes <= 0) throw new IllegalArgumentException("attention group limit must be > 0 bytes");
    attentionGroupBytes = bytes;
  }

  /** Steps with fewer token rows than this run their small ops on one thread (see {@link Projection}). */
  static final int NARROW_STEP_ROWS = 128;

  private StepLogits run(NDManager step, KvCache cache, StepBatch batch, StepResult.Ops ops, long[] prepNanos) {
    long prepStart = System.nanoTime();
    int b = batch.size();
    int n = batch.totalNewTokens();
    int nKv = config.numKvHeads();
    boolean narrow = n < NARROW_STEP_ROWS;
    Projection.beginStep(narrow);
    // Rows are exactly the step's new tokens, sequence after sequence: a 64-token prefill chunk batched
    // with 30 decodes costs 94 rows in every projection, not 31 × 64.
    long[] tokens = new long[n];
    long[] positions = new long[n];
    long[] slots = new long[n * nKv * 2]; // (N, nKv, 2): each new token's key and value slot per KV head
    long[] lastRows = new long[b];
    int r = 0;
    for (int bi = 0; bi < b; bi++) {
      int[] seq = batch.tokens()[bi];
      int start = batch.starts()[bi];
      for (int ti = 0; ti < seq.length; ti++, r++) {
        checkToken(seq[ti], bi);
        tokens[r] = seq[ti];
        positions[r] = start + ti;
        cache.slots(batch.blockTables()[bi], start + ti, slots, r * nKv * 2);
      }
      lastRows[bi] = r - 1;
    }
    long[] stale = staleBlocks(cache, batch);
    if (nativeLayers && nativeAttention && narrow && nativeDecoder.takes(n) && cache.nativeReadable()) {
      NativeDecode rows = nativeRows(cache, batch, positions);
      if (rows != null) {
        if (stale.length > 0) cache.clearBlocks(step.create(stale), step);
        prepNanos[0] = System.nanoTime() - prepStart;
        return nativeStep(step, cache, tokens, rows, lastRows, narrow, ops);
      }
    }
    // Single-token sequences attend natively (when on); the rest (prefill chunks) through the DJL plan.
    Split split = nativeAttention && cache.nativeReadable() ? Split.of(batch) : null;
    NativeDecode nd = split == null ? null : nativeDecode(cache, batch, split.single, split.singleRows, positions);
    boolean allNative = nd != null && split.single.length == b;
    NDIndex slotIdx = null;
    AttentionPlan plan = null;
    NDArray[] cosSin = null;
    MixedRows mixed = null;
    if (!allNative) {
      slotIdx = new NDIndex("{}", step.create(slots, new Shape(n, nKv, 2))); // built once, used by every layer
      StepBatch planned = nd == null ? batch : split.rest(batch);
      plan = AttentionPlan.build(planned, cache, step, device.dataType(), attentionGroupBytes, config.groupSize());
      if (nd != null) mixed = split.rows(step, n);
    }
    NDArray tokenIdx = step.create(tokens);
    NDArray padding = paddingColumns(step, n);
    if (stale.length > 0) cache.clearBlocks(step.create(stale), step);
    prepNanos[0] = System.nanoTime() - prepStart; // Java-side inputs and attention plan, with their uploads
    if (!allNative) cosSin = rope.tables(step.create(positions), n, step);

    NDArray embedded = Views.rows(weights.embedding(), tokenIdx); // (N, h)
    NDArray x = NDArrays.concat(new NDList(embedded, padding), 1); // (N, hp): the padded residual stream
    if (ops != null) {
      ops.otherOps = step.getManagedArrays().size(); // inputs, attention plan, RoPE rows, embedding
    }
    for (int l = 0; l < weights.layers().size(); l++) {
      // One scope per layer: a layer's temporaries (a prefill's MLP activations are hundreds of MB) die
      // before the next layer runs; only the new residual stream moves up to the step's scope.
      try (NDManager scope = step.newSubManager()) {
        x.tempAttach(scope);
        int before = ops == null ? 0 : scope.getManagedArrays().size();
        NDArray next = layer(scope, weights.layers().get(l), l, x, cache, n, cosSin, plan, slotIdx, nd, mixed, narrow, ops);
        if (ops != null) {
          ops.layerOps += scope.getManagedArrays().size() - before + KV_WRITES_PER_LAYER;
          ops.layers++;
        }
        next.attach(step);
        x.close();
        x = next;
      }
    }
    // Each layer's input was closed and its output attached here: the scope holds as many arrays as before.
    if (ops != null) ops.afterLayers = step.getManagedArrays().size();
    NDArray last = (n == b) ? x : Views.rows(x, step.create(lastRows)); // (B, hp)
    NDArray normed = Views.slice(norm(last).mul(weights.finalNorm()), 1, 0, weights.hidden());
    return new StepLogits(weights.lmHead().apply(normed, narrow), null, null); // (B, vocab)
  }

  /**
   * A narrow step's layers in one native call (every row: decodes and prefill chunks alike), with the vocab
   * head and each row's greedy choice in the same call where the head is native ({@link #useNativeHead}),
   * else the head in DJL on each sequence's last row. Op counts: no DJL op inside the layers; the native call
   * (and a DJL head) count as the step's other ops.
   */
  private StepLogits nativeStep(NDManager step, KvCache cache, long[] tokens, NativeDecode nd, long[] lastRows,
      boolean narrow, StepResult.Ops ops) {
    int rows = tokens.length;
    if (ops != null) ops.otherOps = step.getManagedArrays().size() + 1; // inputs, and the native call
    int[] ids = new int[rows];
    for (int i = 0; i < rows; i++) ids[i] = (int) tokens[i];
    int[] last = new int[lastRows.length];
    for (int i = 0; i < last.length; i++) last[i] = (int) lastRows[i];
    boolean head = nativeHead; // set only where the decoder has the head (constructor, useNativeHead)
    NativeDecoder.Output out = nativeDecoder.step(cache, ids, nd.positions, nd.tables, nd.width, last, nd.rope,
        nd.ropeLength, NativeKernels.THREADS, head);
    if (ops != null) ops.layers = weights.layers().size();
    if (head) {
      NDArray logits = JniUtils.createNdFromByteBuffer((PtNDManager) step, out.logits(),
          new Shape(last.length, config.vocabSize()), DataType.FLOAT32, SparseFormat.DENSE, Device.cpu());
      if (ops != null) ops.afterLayers = step.getManagedArrays().size(); // the wrapped logits are no op
      return new StepLogits(logits, StepResult.greedyOf(out.argmax(), out.max(), config.vocabSize()),
          out.logits().asFloatBuffer().limit(last.length * config.vocabSize()).slice());
    }
    NDArray normed = JniUtils.createNdFromByteBuffer((PtNDManager) step, out.hidden(), new Shape(last.length, weights.hidden()),
        DataType.FLOAT32, SparseFormat.DENSE, Device.cpu());
    if (ops != null) ops.afterLayers = step.getManagedArrays().size(); // the wrapped output is no op
    return new StepLogits(weights.lmHead().apply(normed, narrow), null, null); // (B, vocab)
  }

  /**
   * A step's logits, and — when the kernels ran the head — their greedy choice and the host memory they were
   * written to (else null).
   */
  private record StepLogits(NDArray logits, StepResult.Greedy greedy, java.nio.FloatBuffer host) {}

  /**
   * A step's sequences by attention path: {@code single} (one new token: native attention) with their
   * flattened rows, and the rest (prefill chunks: the DJL plan).
   */
  private record Split(int[] single, int[] singleRows, int[] rest, int[] restRows) {
    static Split of(StepBatch batch) {
      int b = batch.size();
      int singles = 0;
      for (int i = 0; i < b; i++) if (batch.tokens()[i].length == 1) singles++;
      int[] single = new int[singles], singleRows = new int[singles], rest = new int[b - singles];
      int[] restRows = new int[batch.totalNewTokens() - singles];
      int row = 0, si = 0, ri = 0, rr = 0;
      for (int i = 0; i < b; i++) {
        int run = batch.tokens()[i].length;
        if (run == 1) {
          single[si] = i;
          singleRows[si++] = row;
        } else {
          rest[ri++] = i;
          for (int t = 0; t < run; t++) restRows[rr++] = row + t;
        }
        row += run;
      }
      return new Split(single, singleRows, rest, restRows);
    }

    /** The prefill sequences as a batch of their own (the plan numbers their rows from 0). */
    StepBatch rest(StepBatch batch) {
      int[][] tables = new int[rest.length][];
      int[] starts = new int[rest.length];
      int[][] tokens = new int[rest.length][];
      for (int j = 0; j < rest.length; j++) {
        tables[j] = batch.blockTables()[rest[j]];
        starts[j] = batch.starts()[rest[j]];
        tokens[j] = batch.tokens()[rest[j]];
      }
      return new StepBatch(tables, starts, tokens);
    }

    /** Row index arrays for a mixed step's layers, uploaded once per step. */
    MixedRows rows(NDManager step, int n) {
      long[] restore = new long[n]; // row → its place in concat(single outputs, rest outputs)
      for (int j = 0; j < singleRows.length; j++) restore[singleRows[j]] = j;
      for (int j = 0; j < restRows.length; j++) restore[restRows[j]] = singleRows.length + j;
      return new MixedRows(step.create(toLongs(singleRows)), singleRows.length, step.create(toLongs(restRows)),
          step.create(restore));
    }

    private static long[] toLongs(int[] a) {
      long[] out = new long[a.length];
      for (int i = 0; i < a.length; i++) out[i] = a[i];
      return out;
    }
  }

  /** A mixed step's row indices (int64 arrays): single-token rows, prefill rows, and the way back to row order. */
  private record MixedRows(NDArray singleRows, int singleCount, NDArray restRows, NDArray restore) {}

  /** The native kernel call per layer of a native decode step ({@link NativeKernels#decodeAttention}). */
  private static final int NATIVE_CALLS_PER_LAYER = 1;

  /**
   * A decode step's inputs for {@link NativeKernels#decodeAttention}, built once per step: each row's
   * position, its block table padded to the step's widest (tables are checked by the kernel up to the
   * row's position only), the RoPE tables.
   */
  private final class NativeDecode {
    final int[] positions;
    final int[] tables;
    final int width;
    final ByteBuffer[] rope;
    final int ropeLength;

    NativeDecode(int[] positions, int[] tables, int width, ByteBuffer[] rope, int ropeLength) {
      this.positions = positions;
      this.tables = tables;
      this.width = width;
      this.rope = rope;
      this.ropeLength = ropeLength;
    }

    /** One layer: RoPE, cache write, attention → (rows, nH·hd) in {@code scope}. */
    NDArray attend(NDManager scope, KvCache cache, int layer, NDArray grouped) {
      int rows = positions.length;
      int columns = config.numKvHeads() * config.groupSize() * config.headDim();
      ByteBuffer out = attentionOutput((long) rows * columns * Float.BYTES);
      ByteBuffer in = JniUtils.getByteBuffer((PtNDArray) grouped, true);
      int[] badRow = {-1};
      int rc = NativeKernels.decodeAttention(in, cache.nativePool(layer), rope[0], rope[1], out, positions, tables,
          rows, config.numKvHeads(), config.groupSize(), config.headDim(), cache.numBlocks(), cache.blockSize(),
          width, ropeLength, NativeKernels.THREADS, badRow);
      if (rc != NativeKernels.OK) {
        throw new IllegalStateException("native decode attention failed at layer " + layer + ", row " + badRow[0]
            + ": " + NativeKernels.describe(rc, badRow[0], null, positions, config.vocabSize(), cache.numBlocks(),
                ropeLength));
      }
      return JniUtils.createNdFromByteBuffer((PtNDManager) scope, out, new Shape(rows, columns), DataType.FLOAT32,
          SparseFormat.DENSE, Device.cpu());
    }
  }

  /**
   * The native part of a step: its single-token sequences ({@code seqs}, flattened rows {@code rows} of
   * the step), or null when there are none or the RoPE tables are not CPU fp32.
   */
  private NativeDecode nativeDecode(KvCache cache, StepBatch batch, int[] seqs, int[] rows, long[] positions) {
    if (seqs.length == 0) return null;
    ByteBuffer[] tablesOfRope = rope.nativeTables();
    if (tablesOfRope == null) return null;
    int d = seqs.length;
    int bs = cache.blockSize();
    int[] pos = new int[d];
    int width = 1;
    for (int i = 0; i < d; i++) {
      pos[i] = (int) positions[rows[i]];
      width = Math.max(width, pos[i] / bs + 1);
    }
    int[] tables = new int[d * width];
    for (int i = 0; i < d; i++) {
      // Each table covers its row's position: run() has looked up that slot (KvCache.blockOf) already.
      System.arraycopy(batch.blockTables()[seqs[i]], 0, tables, i * width, pos[i] / bs + 1);
    }
    return new NativeDecode(pos, tables, width, tablesOfRope, rope.length());
  }

  /**
   * Every row of a step for {@link NativeDecoder}: its position and its sequence's block table (padded to the
   * step's widest); null when the RoPE tables are not CPU fp32.
   */
  private NativeDecode nativeRows(KvCache cache, StepBatch batch, long[] positions) {
    ByteBuffer[] tablesOfRope = rope.nativeTables();
    if (tablesOfRope == null) return null;
    int n = positions.length;
    int width = 1;
    int[] pos = new int[n];
    for (int r = 0; r < n; r++) pos[r] = (int) positions[r];
    int blockSize = cache.blockSize();
    for (int r = 0; r < n; r++) width = Math.max(width, pos[r] / blockSize + 1);
    int[] tables = new int[n * width];
    int r = 0;
    for (int bi = 0; bi < batch.size(); bi++) {
      int[] table = batch.blockTables()[bi];
      for (int t = 0; t < batch.tokens()[bi].length; t++, r++) {
        // run() has looked up every row's slot (KvCache.slots): the table covers the row's position
        System.arraycopy(table, 0, tables, r * width, pos[r] / blockSize + 1);
      }
    }
    return new NativeDecode(pos, tables, width, tablesOfRope, rope.length());
  }

  /**
   * The attention output of a native decode layer lives in one direct buffer per thread, reused by every
   * layer and step: each layer's o projection consumes it before the next layer's kernel writes it.
   */
  private static final ThreadLocal<ByteBuffer> ATTENTION_OUTPUT = new ThreadLocal<>();

  private static ByteBuffer attentionOutput(long bytes) {
    return ThreadBuffers.atLeast(ATTENTION_OUTPUT, bytes);
  }

  /**
   * Block rows ({@link KvCache#blockRows}: keys and values of every KV head) of the blocks this step starts
   * but does not fill: a sequence's last block when the step writes its slot 0 and stops short of its end.
   * Their later slots hold a previous owner's values until written ({@link KvCache#clearBlocks}); the step
   * writes its own slots after the clearing.
   */
  private static long[] staleBlocks(KvCache cache, StepBatch batch) {
    int bs = cache.blockSize();
    int perBlock = 2 * cache.kvHeads();
    int count = 0;
    for (int bi = 0; bi < batch.size(); bi++) if (startsUnfilledBlock(batch, bi, bs)) count++;
    long[] out = new long[count * perBlock];
    int n = 0;
    for (int bi = 0; bi < batch.size(); bi++) {
      if (!startsUnfilledBlock(batch, bi, bs)) continue;
      int last = batch.starts()[bi] + batch.tokens()[bi].length - 1;
      cache.blockRowsOf(cache.blockOf(batch.blockTables()[bi], last), out, n);
      n += perBlock;
    }
    return out;
  }

  private static boolean startsUnfilledBlock(StepBatch batch, int bi, int bs) {
    int first = batch.starts()[bi];
    int last = first + batch.tokens()[bi].length - 1;
    return last - last % bs >= first && last % bs != bs - 1;
  }

  /** The residual stream's padding, (N, hp − h): the norm constant, then zeros ({@link DecoderWeights}). */
  private NDArray paddingColumns(NDManager step, int n) {
    int width = weights.paddedHidden() - weights.hidden();
    float[] p = new float[n * width];
    for (int i = 0; i < n; i++) p[i * width] = weights.normConstant();
    NDArray a = step.create(p, new Shape(n, width));
    return device.dataType() == DataType.FLOAT32 ? a : a.toType(device.dataType(), false);
  }

  /** The in-place index_put of {@link KvCache#write} (keys and values): it returns no new array to count. */
  private static final int KV_WRITES_PER_LAYER = 1;

  /**
   * One decoder layer over the flattened, padded batch: x + o(attn(norm(x))), then + down(mlp(norm(·))).
   * Each norm is one {@code normalize} and each residual add rides in its projection ({@link DecoderWeights}).
   */
  private NDArray layer(NDManager scope, DecoderWeights.Layer w, int l, NDArray x, KvCache cache, int n,
      NDArray[] cosSin, AttentionPlan plan, NDIndex slotIdx, NativeDecode nd, MixedRows mixed, boolean narrow,
      StepResult.Ops ops) {
    int nKv = config.numKvHeads();
    int g = config.groupSize();
    int hd = config.headDim();
    // --- attention block: per KV group (g queries, key, value), rotated together
    NDArray grouped = Views.reshape(w.qkv().apply(norm(x), narrow), n, nKv, g + 2, hd);
    if (w.qkNorm() != null) { // Qwen3: per-head norm of queries and keys before RoPE
      grouped = JniUtils.where(valueRows, (PtNDArray) grouped, (PtNDArray) qkNorm(grouped).mul(w.qkNorm()));
    }
    if (nd != null && mixed == null) {
      // One kernel call, which also does the cache write the caller counts (KV_WRITES_PER_LAYER).
      if (ops != null) ops.layerOps += NATIVE_CALLS_PER_LAYER - KV_WRITES_PER_LAYER;
      return attentionTail(scope, w, x, nd.attend(scope, cache, l, grouped), n, narrow);
    }
    NDArray roped = grouped.mul(cosSin[0]).add(Views.flip(grouped, 3).mul(cosSin[1]));
    NDArray q = Views.slice(roped, 2, 0, g); // (N, nKv, g, hd)
    cache.write(l, slotIdx, Views.slice(roped, 2, g, g + 2)); // (N, nKv, 2, hd)
    if (nd == null) return attentionTail(scope, w, x, planned(scope, cache, l, q, plan, ops), n, narrow);
    // A mixed step: prefill rows through the plan, single-token rows natively (the kernel writes their
    // keys and values again, the same slots), then back in row order.
    NDArray attnRest = planned(scope, cache, l, q.get(new NDIndex("{}", mixed.restRows())), plan, ops);
    NDArray picked = Views.rows(Views.reshape(grouped, n, (long) nKv * (g + 2) * hd), mixed.singleRows());
    picked.attach(scope); // lookups land in the index's (the step's) scope
    NDArray single = Views.reshape(picked, mixed.singleCount(), nKv, g + 2, hd);
    if (ops != null) ops.layerOps += NATIVE_CALLS_PER_LAYER;
    NDArray attnSingle = nd.attend(scope, cache, l, single);
    NDArray attn = NDArrays.concat(new NDList(attnSingle, attnRest), 0).get(new NDIndex("{}", mixed.restore()));
    return attentionTail(scope, w, x, attn, n, narrow);
  }

  /** Attention of the rows {@code q} through an {@link AttentionPlan}: (rows, nH·hd) in the plan's batch order. */
  private NDArray planned(NDManager scope, KvCache cache, int l, NDArray q, AttentionPlan plan, StepResult.Ops ops) {
    NDArray attn;
    if (plan.restoreOrder == null) {
      attn = attend(scope, cache, l, q, plan.groups.get(0), ops);
    } else {
      NDList parts = new NDList();
      for (AttentionPlan.Group grp : plan.groups) {
        parts.add(attend(scope, cache, l, q.get(new NDIndex("{}", grp.queryRows())), grp, ops));
      }
      attn = NDArrays.concat(parts, 0).get(new NDIndex("{}", plan.restoreOrder));
    }
    return attn;
  }

  /** x + o(attn), then the MLP block: the layer after attention. */
  private NDArray attentionTail(NDManager scope, DecoderWeights.Layer w, NDArray x, NDArray attn, int n,
      boolean narrow) {
    NDArray h = w.o().apply(attn, narrow, x);
    long rows = mlpPieceRows();
    if (n <= rows) return mlp(w, h, narrow);
    // A long prefill's MLP runs in row pieces, each piece's temporaries freed before the next: whole, its
    // (N, 2·inter) activations are fresh mappings every layer (glibc maps anything over its mmap
    // threshold anew), and the page faults cost more than the GEMMs (docs/PERFORMANCE.md).
    NDList parts = new NDList();
    for (long r0 = 0; r0 < n; r0 += rows) {
      try (NDManager piece = scope.newSubManager()) {
        NDArray hp = Views.slice(h, 0, r0, Math.min(n, r0 + rows));
        hp.tempAttach(piece);
        NDArray out = mlp(w, hp, narrow);
        out.attach(scope);
        parts.add(out);
      }
    }
    return NDArrays.concat(parts, 0);
  }

  /** h + down(silu(gate) * up) with gate|up = gateUp(norm(h)): the MLP block over rows of the stream. */
  private NDArray mlp(DecoderWeights.Layer w, NDArray h, boolean narrow) {
    NDArray gateUp = w.gateUp().apply(norm(h), narrow);
    int inter = config.intermediateSize();
    NDArray gate = Views.slice(gateUp, 1, 0, inter);
    NDArray up = Views.slice(gateUp, 1, inter, 2L * inter);
    return w.down().apply(gate.mul(JniUtils.sigmoid((PtNDArray) gate)).mul(up), narrow, h);
  }

  /**
   * Most rows the MLP runs at once: on CPU, as many as keep one piece's gate|up activations within the
   * attention groups' limit ({@link #CPU_ATTENTION_GROUP_BYTES}, under glibc's mmap threshold); a GPU
   * runs whole steps (its caching allocator reuses memory).
   */
  private long mlpPieceRows() {
    if (attentionGroupBytes == Long.MAX_VALUE) return Long.MAX_VALUE;
    long perRow = 2L * config.intermediateSize() * device.dataType().getNumOfBytes();
    return Math.max(16, attentionGroupBytes / perRow);
  }

  /**
   * Attention of one group's queries (size·t, nKv, g, hd) over its gathered blocks → (size·t, nH·hd),
   * batched over (sequence, KV head) on contiguous keys and values: scores q·Kᵀ (B, nKv, g·T, L), softmax
   * over the last axis, ·V. A decode's queries are already (B, nKv, g, hd) and its output already in the
   * o projection's head order. 1/sqrt(hd) is in q.
   *
   * <p>The group's temporaries (gathered keys and values, scores, probabilities: the step's largest
   * arrays at long contexts) live in a scope of their own, freed before the next group gathers; only the
   * output moves to the layer's scope. With op counting on, the ops issued here are added to {@code ops}.
   */
  private NDArray attend(NDManager scope, KvCache cache, int l, NDArray q, AttentionPlan.Group grp,
      StepResult.Ops ops) {
    try (NDManager group = scope.newSubManager()) {
      q.tempAttach(group); // ops take their first operand's scope: everything below lands in `group`
      NDArray out = attendIn(group, cache, l, q, grp);
      // Arrays the group's scope holds, less q (borrowed) and out (counted in the layer's scope).
      if (ops != null) ops.layerOps += group.getManagedArrays().size() - 2;
      out.attach(scope);
      return out;
    }
  }

  private NDArray attendIn(NDManager scope, KvCache cache, int l, NDArray q, AttentionPlan.Group grp) {
    int b = grp.size();
    int t = grp.t();
    int len = grp.len();
    int nKv = config.numKvHeads();
    int g = config.groupSize();
    int hd = config.headDim();
    NDArray[] kv = cache.read(l, grp.keyRows(), grp.valueRows(), scope); // (B, nKv, L, hd) each
    NDArray qb = t == 1 ? q
        : Views.reshape(Views.permute(Views.reshape(q, b, t, nKv, g, hd), 0, 2, 3, 1, 4), b, nKv, (long) g * t, hd);
    NDArray scores = qb.matMul(Views.transpose(kv[0], 2, 3)); // (B, nKv, g·T, L)
    if (grp.mask() != null) {
      scores = t == 1 ? scores.add(grp.mask())
          : Views.reshape(Views.reshape(scores, b, nKv, g, t, len).add(grp.mask()), b, nKv, (long) g * t, len);
    }
    NDArray out = JniUtils.softmax((PtNDArray) scores, -1, scores.getDataType()).matMul(kv[1]); // (B, nKv, g·T, hd)
    return t == 1
        ? Views.reshape(out, b, (long) nKv * g * hd)
        : Views.reshape(Views.permute(Views.reshape(out, b, nKv, g, t, hd), 0, 3, 1, 2, 4), (long) b * t, (long) nKv * g * hd);
  }

  /**
   * RMSNorm of the padded residual stream, up to the factor sqrt(hidden) and the weight that the next
   * projection carries: x / ‖x‖ over the padded row (whose constant puts eps inside the root). In fp16
   * (GPU) the norm is taken in fp32, as HF does: residual streams carry activations in the hundreds.
   */
  private NDArray norm(NDArray x) {
    return unitRows(x, 1e-30);
  }

  /** x / max(‖x‖, floor) over the last axis; fp16 rows are normalised in fp32. */
  private static NDArray unitRows(NDArray x, double floor) {
    if (x.getDataType() == DataType.FLOAT16) {
      NDArray xf = x.toType(DataType.FLOAT32, false);
      return JniUtils.normalize((PtNDArray) xf, 2, -1, floor).toType(DataType.FLOAT16, false);
    }
    return JniUtils.normalize((PtNDArray) x, 2, -1, floor);
  }

  /**
   * Qwen3's per-head RMSNorm over the last axis, up to the factor sqrt(hd) and the weight (both in
   * {@code qkNorm}): x / max(‖x‖, sqrt(hd·eps)) — one op for every head of every KV group at once (the
   * value heads' results are discarded by the caller's {@code where}). HF divides by sqrt(‖x‖² + hd·eps)
   * instead: the same for ‖x‖² ≫ hd·eps (relative difference hd·eps / 2‖x‖², 6e-7 for a Qwen3 head with
   * ‖x‖ = 10) and in the limit ‖x‖ → 0, at most a factor √2 apart at ‖x‖ = sqrt(hd·eps) (0.011 for
   * Qwen3), where a head's output is noise-sized anyway. In fp16 (GPU) the norm is taken in fp32.
   */
  private NDArray qkNorm(NDArray grouped) {
    return unitRows(grouped, Math.sqrt(config.headDim() * config.rmsNormEps()));
  }

  private void checkToken(int id, int seq) {
    if (id < 0 || id >= config.vocabSize()) {
      throw new IllegalArgumentException("sequence " + seq + ": token id " + id + " outside vocab [0, "
          + config.vocabSize() + ")");
    }
  }

  @Override
  public void close() {
    if (nativeDecoder != null) nativeDecoder.close();
    manager.close();
  }
}
