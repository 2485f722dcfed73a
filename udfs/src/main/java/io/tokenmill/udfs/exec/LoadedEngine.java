package io.tokenmill.udfs.exec;

import io.tokenmill.engine.inference.Engine;
import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.reasoning.ReasoningFormat;
import io.tokenmill.engine.tokenizer.ChatTemplate;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import java.util.Optional;

/**
 * A model loaded on one device with its continuous-batching engine running ({@link LoadedModel}, the
 * engine's front door); shared by every task of the JVM that uses that model and device. Closed by
 * {@link EngineCache} only.
 */
public final class LoadedEngine {
  private final LoadedModel model;

  LoadedEngine(LoadedModel model) {
    this.model = model;
  }

  public LoadedModel model() { return model; }
  public ModelDir dir() { return model.dir(); }
  public ModelTokenizer tokenizer() { return model.tokenizer(); }
  public Engine engine() { return model.engine(); }
  public ReasoningFormat format() { return model.format(); }
  public int maxSeqLen() { return model.maxSeqLen(); }
  public long loadMillis() { return model.loadMillis(); }
  public Optional<ChatTemplate> chatTemplate() { return model.chatTemplate(); }

  /** The device as written to the output's {@code device} column. */
  public String deviceName() {
    return model.deviceName();
  }

  void close() {
    model.close();
  }
}
