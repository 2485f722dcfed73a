package io.tokenmill.engine.inference;

import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.tokenizer.ChatTemplate;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one front door for inference: a model directory loaded on one device with its continuously
 * batched engine running. It owns, and decides in exactly one place, everything the callers used to wire
 * each in their own way: the model dir, the tokenizer, the weights, the context length, the KV cache
 * budget, the EOS ids, the reasoning format (from the chat template and vocabulary unless given), and
 * the {@link Engine}. The CLI ({@code complete}, {@code bench}), the benchmarks and the executors'
 * engine cache all open models through it.
 *
 * <pre>{@code
 * try (LoadedModel m = LoadedModel.open(dir, ComputeDevice.cpu(), LoadedModel.Options.builder()
 *     .optMaxBatch(32).optKvMemoryBytes(256L << 20).build())) {
 *   GenerationResult r = m.engine().submit(request).results().get().get(0);
 * }
 * }</pre>
 */
public final class LoadedModel implements AutoCloseable {

  /**
   * How to size and configure the engine. Zeros mean "derive": {@code maxSeqLen} 0 = the model's
   * max_position_embeddings (a larger value is capped to it); {@code kvMemoryBytes} 0 =
   * {@code kvMemoryFraction} of the device's free memory (GPU: free after the weights; CPU: MemAvailable);
   * {@code maxTokensPerStep} 0 = max(512, maxBatch); {@code queueCapacity} 0 = 4 × maxBatch;
   * {@code reasoningFormat} "auto" = {@link #detectFormat}, else a {@link ReasoningFormat} name.
   */
  public record Options(int maxBatch, int maxSeqLen, long kvMemoryBytes, double kvMemoryFraction, int blockSize,
      int maxTokensPerStep, int queueCapacity, String reasoningFormat) {

    public Options {
      check(maxBatch >= 1, "engine.max_batch must be >= 1, got " + maxBatch);
      check(maxSeqLen >= 0, "engine.max_seq_len must be >= 0, got " + maxSeqLen);
      check(kvMemoryBytes >= 0, "engine.kv_memory_bytes must be >= 0, got " + kvMemoryBytes);
      check(kvMemoryFraction > 0 && kvMemoryFraction <= 1, "engine.kv_memory_fraction must be in (0, 1], got "
          + kvMemoryFraction);
      check(blockSize >= 1, "engine.block_size must be >= 1, got " + blockSize);
      check(maxTokensPerStep >= 0, "engine.max_tokens_per_step must be >= 0, got " + maxTokensPerStep);
      check(queueCapacity >= 0, "engine.queue_capacity must be >= 0, got " + queueCapacity);
      if (reasoningFormat == null) reasoningFormat = "auto";
    }

    public static Builder builder() {
      return new Builder();
    }

    /** DJL-style builder: every field optional, {@link #build()} validates. */
    public static final class Builder {
      private int maxBatch = 32;
      private int maxSeqLen;
      private long kvMemoryBytes;
      private double kvMemoryFraction = 0.8;
      private int blockSize = 16;
      private int maxTokensPerStep;
      private int queueCapacity;
      private String reasoningFormat = "auto";

      public Builder optMaxBatch(int v) { maxBatch = v; return this; }
      public Builder optMaxSeqLen(int v) { maxSeqLen = v; return this; }
      public Builder optKvMemoryBytes(long v) { kvMemoryBytes = v; return this; }
      public Builder optKvMemoryFraction(double v) { kvMemoryFraction = v; return this; }
      public Builder optBlockSize(int v) { blockSize = v; return this; }
      public Builder optMaxTokensPerStep(int v) { maxTokensPerStep = v; return this; }
      public Builder optQueueCapacity(int v) { queueCapacity = v; return this; }
      public Builder optReasoningFormat(String v) { reasoningFormat = v; return this; }

      public Options build() {
        return new Options(maxBatch, maxSeqLen, kvMemoryBytes, kvMemoryFraction, blockSize, maxTokensPerStep,
            queueCapacity, reasoningFormat);
      }
    }
  }

  private final ModelDir dir;
  private final ModelTokenizer tokenizer;
  private final DecoderModel model;
  private final Engine engine;
  private final ReasoningFormat format;
  private final EngineConfig engineConfig;
  private final int[] eosIds;
  private final long loadMillis;

  private LoadedModel(ModelDir dir, ModelTokenizer tokenizer, DecoderModel model, Engine engine,
      ReasoningFormat format, EngineConfig engineConfig, int[] eosIds, long loadMillis) {
    this.dir = dir;
    this.tokenizer = tokenizer;
    this.model = model;
    this.engine = engine;
    this.format = format;
    this.engineConfig = engineConfig;
    this.eosIds = eosIds;
    this.loadMillis = loadMillis;
  }

  /** Loads {@code modelDir} onto {@code device} and starts its engine; a bad directory fails naming the file. */
  public static LoadedModel open(Path modelDir, ComputeDevice device, Options options) {
    long t0 = System.nanoTime();
    ModelDir dir = ModelDir.open(modelDir);
    ModelTokenizer tok = dir.tokenizer();
    DecoderModel model = null;
    try {
      ReasoningFormat format = detectFormat(options.reasoningFormat(), tok);
      model = DecoderModel.load(dir.config(), dir.path(), device);
      EngineConfig cfg = engineConfig(dir, device, options);
      int[] eos = dir.eosIds(tok);
      Engine engine = Engine.start(model, tok, format, eos, cfg);
      return new LoadedModel(dir, tok, model, engine, format, cfg, eos, (System.nanoTime() - t0) / 1_000_000);
    } catch (RuntimeException | Error e) {
      if (model != null) model.close();
      tok.close();
      throw e;
    }
  }

  /** The engine sizing {@code options} give for this model on this device (KV budget read now). */
  static EngineConfig engineConfig(ModelDir dir, ComputeDevice device, Options o) {
    int modelMax = dir.config().maxPositionEmbeddings();
    int maxSeqLen = o.maxSeqLen() == 0 ? modelMax : Math.min(o.maxSeqLen(), modelMax);
    long kvBytes = o.kvMemoryBytes() > 0 ? o.kvMemoryBytes() : (long) (o.kvMemoryFraction() * freeMemoryBytes(device));
    long perToken = KvCache.bytesPerToken(dir.config(), device);
    kvBytes = Math.max(kvBytes, perToken * o.blockSize() * 4L); // at least a few blocks: fail later, clearly
    int maxTokensPerStep = o.maxTokensPerStep() > 0 ? Math.max(o.maxTokensPerStep(), o.maxBatch())
        : Math.max(512, o.maxBatch());
    int queue = o.queueCapacity() > 0 ? o.queueCapacity() : 4 * o.maxBatch();
    return new EngineConfig(o.maxBatch(), maxSeqLen, kvBytes, o.blockSize(), maxTokensPerStep, queue);
  }

  /**
   * The reasoning format for {@code spec}: "auto" (or null) detects it from the chat template's generation
   * branch and from whether both {@code <think>} and {@code </think>} are single tokens
   * ({@link ReasoningFormat#detect}); anything else is a format name. The only place this is decided.
   */
  public static ReasoningFormat detectFormat(String spec, ModelTokenizer tok) {
    if (spec == null || spec.equalsIgnoreCase("auto")) {
      String template = tok.chatTemplate().map(ChatTemplate::source).orElse(null);
      boolean thinkTokens = tok.thinkStartId() >= 0 && tok.thinkEndId() >= 0;
      return ReasoningFormat.detect(template, thinkTokens);
    }
    return ReasoningFormat.parse(spec);
  }

  private static final Pattern MEM_AVAILABLE = Pattern.compile("MemAvailable:\\s+(\\d+) kB");

  /** Free memory of a device: GPU free bytes after the weights, or the host's MemAvailable. */
  static long freeMemoryBytes(ComputeDevice device) {
    if (device.isGpu()) {
      var usage = ai.djl.util.cuda.CudaUtils.getGpuMemory(device.device());
      return Math.max(0, usage.getMax() - usage.getCommitted());
    }
    try {
      Matcher m = MEM_AVAILABLE.matcher(Files.readString(Path.of("/proc/meminfo")));
      if (m.find()) return Long.parseLong(m.group(1)) * 1024;
    } catch (IOException | RuntimeException ignored) {
      // not Linux: fall through to the JVM's view
    }
    return Runtime.getRuntime().maxMemory();
  }

  public ModelDir dir() { return dir; }
  public ModelTokenizer tokenizer() { return tokenizer; }
  public DecoderModel model() { return model; }
  public Engine engine() { return engine; }
  public ReasoningFormat format() { return format; }
  public EngineConfig engineConfig() { return engineConfig; }
  public int maxSeqLen() { return engineConfig.maxSeqLen(); }
  public long loadMillis() { return loadMillis; }
  public Optional<ChatTemplate> chatTemplate() { return tokenizer.chatTemplate(); }

  /** Token ids that end a sample unless a request ignores EOS (config, generation config, tokenizer). */
  public int[] eosIds() {
    return eosIds.clone();
  }

  /** The device as written to the output's {@code device} column. */
  public String deviceName() {
    return model.device().toString();
  }

  /** Stops the engine (delivering what it finished), then frees the weights and the tokenizer. */
  @Override
  public void close() {
    try {
      engine.close();
    } finally {
      model.close();
      tokenizer.close();
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }
}
