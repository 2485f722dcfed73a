package io.tokenmill.udfs.exec;

import io.tokenmill.engine.inference.Engine;
import io.tokenmill.engine.inference.EngineConfig;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One engine per (model, device, engine settings) per JVM: the first task of an executor that needs it
 * loads the model; every later task, partition and wave of the JVM reuses it (the DJL Spark extension
 * reloads per partition — we don't). Engines live until the JVM exits.
 *
 * <p>{@link #loads()} counts loads in this JVM; the jobs report it per executor so a test (and a user)
 * can see each executor loaded its model exactly once.
 */
public final class EngineCache {

  /** What identifies an engine. */
  public record Key(Path modelDir, ComputeDevice device, EngineSettings engine, String reasoningFormat) {}

  private static final Map<Key, LoadedEngine> ENGINES = new HashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();
  private static final Map<Key, Integer> LOADS_BY_KEY = new HashMap<>();
  private static boolean hookInstalled;

  private EngineCache() {}

  /** The engine for {@code key}, loading it (once per JVM) if needed. */
  public static synchronized LoadedEngine get(Key key) {
    LoadedEngine e = ENGINES.get(key);
    if (e != null) return e;
    e = load(key);
    ENGINES.put(key, e);
    LOADS.incrementAndGet();
    LOADS_BY_KEY.merge(key, 1, Integer::sum);
    if (!hookInstalled) {
      Runtime.getRuntime().addShutdownHook(new Thread(EngineCache::closeAll, "tokenmill-engine-cache-close"));
      hookInstalled = true;
    }
    return e;
  }

  /** Models loaded by this JVM so far (all models and devices). */
  public static int loads() {
    return LOADS.get();
  }

  /** How often this JVM has loaded this model on this device (1 unless it was closed and reloaded). */
  public static synchronized int loads(Key key) {
    return LOADS_BY_KEY.getOrDefault(key, 0);
  }

  /** Closes every engine (tests, notebooks that switch models; the shutdown hook). */
  public static synchronized void closeAll() {
    for (LoadedEngine e : ENGINES.values()) {
      try {
        e.close();
      } catch (RuntimeException ignored) {
        // closing at exit: nothing useful to do with a failure
      }
    }
    ENGINES.clear();
  }

  private static LoadedEngine load(Key key) {
    long t0 = System.nanoTime();
    ModelDir dir = ModelDir.open(key.modelDir());
    ModelTokenizer tok = dir.tokenizer();
    DecoderModel model = null;
    try {
      model = DecoderModel.load(dir.config(), dir.path(), key.device());
      EngineSettings s = key.engine();
      int modelMax = dir.config().maxPositionEmbeddings();
      int maxSeqLen = s.maxSeqLen() == 0 ? modelMax : Math.min(s.maxSeqLen(), modelMax);
      long kvBytes = s.kvMemoryBytes() > 0 ? s.kvMemoryBytes()
          : (long) (s.kvMemoryFraction() * freeMemoryBytes(key.device()));
      long perToken = KvCache.bytesPerToken(dir.config(), key.device());
      kvBytes = Math.max(kvBytes, perToken * s.blockSize() * 4L); // at least a few blocks: fail later, clearly
      int maxTokensPerStep = s.maxTokensPerStep() > 0 ? Math.max(s.maxTokensPerStep(), s.maxBatch())
          : Math.max(512, s.maxBatch());
      int queue = s.queueCapacity() > 0 ? s.queueCapacity() : 4 * s.maxBatch();
      EngineConfig cfg = new EngineConfig(s.maxBatch(), maxSeqLen, kvBytes, s.blockSize(), maxTokensPerStep, queue);
      ReasoningFormat format = reasoningFormat(key.reasoningFormat(), tok);
      Engine engine = Engine.start(model, tok, format, dir.eosIds(tok), cfg);
      return new LoadedEngine(dir, tok, model, engine, format, maxSeqLen, (System.nanoTime() - t0) / 1_000_000);
    } catch (RuntimeException | Error e) {
      if (model != null) model.close();
      tok.close();
      throw e;
    }
  }

  /** {@code model.reasoning_format}: auto (from the chat template and vocabulary) or a format name. */
  static ReasoningFormat reasoningFormat(String spec, ModelTokenizer tok) {
    if (spec == null || spec.equalsIgnoreCase("auto")) {
      String template = tok.chatTemplate().map(t -> t.source()).orElse(null);
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

  /** Engines currently loaded (for reports). */
  public static synchronized List<LoadedEngine> loaded() {
    return new ArrayList<>(ENGINES.values());
  }
}
