package io.tokenmill.udfs.exec;

import io.tokenmill.engine.inference.Engine;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.tokenizer.ChatTemplate;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import java.util.Optional;

/**
 * A model loaded on one device with its continuous-batching engine running; shared by every task of
 * the JVM that uses that model and device. Closed by {@link EngineCache} only.
 */
public final class LoadedEngine {
  private final ModelDir dir;
  private final ModelTokenizer tokenizer;
  private final DecoderModel model;
  private final Engine engine;
  private final ReasoningFormat format;
  private final int maxSeqLen;
  private final long loadMillis;

  LoadedEngine(ModelDir dir, ModelTokenizer tokenizer, DecoderModel model, Engine engine, ReasoningFormat format,
      int maxSeqLen, long loadMillis) {
    this.dir = dir;
    this.tokenizer = tokenizer;
    this.model = model;
    this.engine = engine;
    this.format = format;
    this.maxSeqLen = maxSeqLen;
    this.loadMillis = loadMillis;
  }

  public ModelDir dir() { return dir; }
  public ModelTokenizer tokenizer() { return tokenizer; }
  public Engine engine() { return engine; }
  public ReasoningFormat format() { return format; }
  public int maxSeqLen() { return maxSeqLen; }
  public long loadMillis() { return loadMillis; }
  public Optional<ChatTemplate> chatTemplate() { return tokenizer.chatTemplate(); }

  /** The device as written to the output's {@code device} column. */
  public String deviceName() {
    return model.device().toString();
  }

  void close() {
    engine.close();
    model.close();
    tokenizer.close();
  }
}
