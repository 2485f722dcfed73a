package io.tokenmill.udfs.exec;

import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.runtime.ComputeDevice;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One engine per (model, device, engine settings) per JVM: the first task of an executor that needs it
 * loads the model; every later task, partition and wave of the JVM reuses it (the DJL Spark extension
 * reloads per partition — we don't).
 *
 * <p>Users hold an engine through a {@link Lease} ({@link #acquire}). When a key is loaded for a device,
 * engines of other keys on that device that nobody holds are closed first, so a notebook that re-runs with
 * another model or {@code engine.*} setting frees the old weights and KV pool instead of stacking a second
 * one beside it (one still held by a running job is left alone). Loads run under a per-key lock, so loads
 * for two GPUs of one executor proceed in parallel; a second task for the same key waits for the first
 * load and shares it.
 *
 * <p>{@link #loads()} counts loads in this JVM; the jobs report it per executor so a test (and a user)
 * can see each executor loaded its model exactly once.
 */
public final class EngineCache {

  /** What identifies an engine. */
  public record Key(Path modelDir, ComputeDevice device, EngineSettings engine, String reasoningFormat) {}

  /** A hold on a loaded engine; close it when done (idempotent). Held engines are never evicted. */
  public static final class Lease implements AutoCloseable {
    private final Entry entry;
    private boolean released;

    private Lease(Entry entry) {
      this.entry = entry;
    }

    public LoadedEngine engine() {
      return entry.engine;
    }

    @Override
    public void close() {
      synchronized (EngineCache.class) {
        if (released) return;
        released = true;
        entry.leases--;
      }
    }
  }

  /** A cache slot: the engine once loaded (guarded by the entry's own lock while loading). */
  private static final class Entry {
    final Key key;
    volatile LoadedEngine engine;
    int leases; // guarded by EngineCache.class

    Entry(Key key) {
      this.key = key;
    }

    synchronized void close() {
      if (engine == null) return;
      try {
        engine.close();
      } catch (RuntimeException ignored) {
        // closing an engine nobody uses: nothing useful to do with a failure
      }
      engine = null;
    }
  }

  private static final Map<Key, Entry> ENTRIES = new HashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();
  private static final Map<Key, Integer> LOADS_BY_KEY = new HashMap<>();
  private static boolean hookInstalled;
  /** How an entry is loaded; tests replace it to observe concurrency. */
  static volatile Function<Key, LoadedEngine> loader = EngineCache::load;

  private EngineCache() {}

  /**
   * The engine for {@code key}, loading it (once per JVM) if needed, held until the lease is closed. Idle
   * engines of other keys on the same device are closed before a load.
   */
  public static Lease acquire(Key key) {
    Entry entry;
    List<Entry> evicted = new ArrayList<>();
    synchronized (EngineCache.class) {
      entry = ENTRIES.computeIfAbsent(key, Entry::new);
      entry.leases++;
      if (entry.engine == null) {
        for (Entry other : ENTRIES.values()) {
          if (other != entry && other.leases == 0 && other.key.device().equals(key.device())) evicted.add(other);
        }
        for (Entry e : evicted) ENTRIES.remove(e.key, e);
      }
      if (!hookInstalled) {
        Runtime.getRuntime().addShutdownHook(new Thread(EngineCache::closeAll, "tokenmill-engine-cache-close"));
        hookInstalled = true;
      }
    }
    for (Entry e : evicted) e.close();
    try {
      synchronized (entry) {
        if (entry.engine == null) {
          entry.engine = loader.apply(key);
          LOADS.incrementAndGet();
          synchronized (EngineCache.class) {
            LOADS_BY_KEY.merge(key, 1, Integer::sum);
          }
        }
      }
    } catch (RuntimeException | Error e) {
      synchronized (EngineCache.class) {
        entry.leases--;
        if (entry.leases == 0 && entry.engine == null) ENTRIES.remove(key, entry);
      }
      throw e;
    }
    return new Lease(entry);
  }

  /** Models loaded by this JVM so far (all models and devices). */
  public static int loads() {
    return LOADS.get();
  }

  /** How often this JVM has loaded this model on this device (1 unless it was closed and reloaded). */
  public static synchronized int loads(Key key) {
    return LOADS_BY_KEY.getOrDefault(key, 0);
  }

  /** Closes every engine (tests, notebooks that switch models; the shutdown hook), held or not. */
  public static void closeAll() {
    List<Entry> all;
    synchronized (EngineCache.class) {
      all = new ArrayList<>(ENTRIES.values());
      ENTRIES.clear();
    }
    for (Entry e : all) e.close();
  }

  /** Loads through the engine's one front door, {@link LoadedModel#open}, with the job's {@code engine.*} keys. */
  static LoadedEngine load(Key key) {
    return new LoadedEngine(LoadedModel.open(key.modelDir(), key.device(), options(key.engine(), key.reasoningFormat())));
  }

  /** {@code engine.*} and {@code model.reasoning_format} as the front door's options. */
  static LoadedModel.Options options(EngineSettings s, String reasoningFormat) {
    return LoadedModel.Options.builder().optMaxBatch(s.maxBatch()).optMaxSeqLen(s.maxSeqLen())
        .optKvMemoryBytes(s.kvMemoryBytes()).optKvMemoryFraction(s.kvMemoryFraction()).optBlockSize(s.blockSize())
        .optMaxTokensPerStep(s.maxTokensPerStep()).optQueueCapacity(s.queueCapacity())
        .optReasoningFormat(reasoningFormat).build();
  }

  /** Engines currently loaded (for reports and tests). */
  public static synchronized List<LoadedEngine> loaded() {
    List<LoadedEngine> out = new ArrayList<>();
    for (Entry e : ENTRIES.values()) if (e.engine != null) out.add(e.engine);
    return out;
  }
}
