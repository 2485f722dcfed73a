package io.tokenmill.udfs.exec;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.tokenizer.ChatFormat;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor's engine cache: idle engines give way to a new key on their device; loads don't serialise. */
class EngineCacheTest {

  @TempDir static Path tmp;
  static Path model;

  @BeforeAll
  static void makeModel() throws Exception {
    model = tmp.resolve("model");
    ModelMaker.make(Path.of("../conf/models/qwen3-0.6b"), model, new ModelMaker.Options(5, DType.F32,
        Map.of("num_hidden_layers", "1", "vocab_size", "320", "hidden_size", "32", "intermediate_size", "64",
            "num_attention_heads", "2", "num_key_value_heads", "1", "head_dim", "16", "max_position_embeddings", "128"),
        ChatFormat.QWEN3, Long.MAX_VALUE, true));
  }

  @AfterEach
  void reset() {
    EngineCache.closeAll();
    EngineCache.loader = EngineCache::load;
  }

  static EngineCache.Key key(int maxBatch) {
    return new EngineCache.Key(model, ComputeDevice.cpu(),
        new EngineSettings(maxBatch, 0, 4L << 20, 0.5, 16, 0, 0, 0), "auto");
  }

  /**
   * The executors load through the engine's front door: the same directory and settings give the
   * same reasoning format, EOS ids and engine sizing as {@link LoadedModel#open} (the CLI's and the
   * benchmarks' path), for the detected format and for an explicit one.
   */
  @Test
  void executorsLoadExactlyAsTheFrontDoorDoes() {
    Path tiny = Path.of("..", "data-samples", "models", "tiny-reasoner").toAbsolutePath().normalize();
    for (Path dir : new Path[] {model, tiny}) {
      for (String format : new String[] {"auto", "none"}) {
        EngineSettings s = new EngineSettings(3, 100, 4L << 20, 0.5, 16, 0, 0, 0);
        EngineCache.Key k = new EngineCache.Key(dir, ComputeDevice.cpu(), s, format);
        try (EngineCache.Lease lease = EngineCache.acquire(k);
            LoadedModel direct = LoadedModel.open(dir, ComputeDevice.cpu(), EngineCache.options(s, format))) {
          LoadedEngine cached = lease.engine();
          assertEquals(direct.format(), cached.format(), dir + " " + format);
          assertArrayEquals(direct.eosIds(), cached.model().eosIds(), dir + " " + format);
          assertEquals(direct.engineConfig(), cached.model().engineConfig(), dir + " " + format);
          assertEquals(100, cached.maxSeqLen());
        }
      }
    }
    try (EngineCache.Lease lease = EngineCache.acquire(new EngineCache.Key(tiny, ComputeDevice.cpu(),
        new EngineSettings(3, 0, 4L << 20, 0.5, 16, 0, 0, 0), "auto"))) {
      assertEquals(io.tokenmill.engine.reasoning.ReasoningFormat.DEEPSEEK_R1, lease.engine().format());
    }
  }

  @Test
  void anIdleEngineIsClosedWhenAnotherKeyLoadsOnItsDevice() {
    LoadedEngine first;
    try (EngineCache.Lease a = EngineCache.acquire(key(4))) {
      first = a.engine();
    }
    try (EngineCache.Lease again = EngineCache.acquire(key(4))) {
      assertSame(first, again.engine(), "the same key is served from the cache");
    }
    try (EngineCache.Lease b = EngineCache.acquire(key(2))) {
      assertEquals(1, EngineCache.loaded().size(), "the idle max_batch=4 engine was closed, not kept beside it");
      assertSame(b.engine(), EngineCache.loaded().get(0));
      assertNotSame(first, b.engine());
    }
  }

  @Test
  void anEngineStillHeldIsNotEvicted() {
    try (EngineCache.Lease a = EngineCache.acquire(key(4)); EngineCache.Lease b = EngineCache.acquire(key(2))) {
      assertEquals(2, EngineCache.loaded().size(), "a running job's engine stays");
      assertNotSame(a.engine(), b.engine());
      assertNotNull(a.engine().engine());
    }
  }

  @Test
  void aSlowLoadDoesNotBlockAnotherKey() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch slowStarted = new CountDownLatch(1);
    Function<EngineCache.Key, LoadedEngine> real = EngineCache::load;
    EngineCache.loader = k -> {
      if (k.engine().maxBatch() == 4) {
        slowStarted.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return real.apply(k);
    };
    CompletableFuture<EngineCache.Lease> slow = CompletableFuture.supplyAsync(() -> EngineCache.acquire(key(4)));
    assertTrue(slowStarted.await(30, TimeUnit.SECONDS));
    // Another key (on a GPU executor: another device) loads while the first is still loading.
    CompletableFuture<EngineCache.Lease> other = CompletableFuture.supplyAsync(() -> EngineCache.acquire(key(2)));
    try (EngineCache.Lease b = other.get(30, TimeUnit.SECONDS)) {
      assertNotNull(b.engine());
      assertFalse(slow.isDone(), "the slow load is still in progress");
    } finally {
      release.countDown();
    }
    try (EngineCache.Lease a = slow.get(30, TimeUnit.SECONDS)) {
      assertNotNull(a.engine());
    }
  }
}
