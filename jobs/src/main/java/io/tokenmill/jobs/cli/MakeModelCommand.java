package io.tokenmill.jobs.cli;

import io.tokenmill.engine.make.ModelMaker;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.tokenizer.ChatFormat;
import io.tokenmill.engine.weights.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill make-model}: a random-weight HF model directory of a real architecture. */
@Command(name = "make-model", mixinStandardHelpOptions = true,
    description = "Write a random-weight Hugging Face model directory from a config.json "
        + "(e.g. conf/models/qwen2.5-0.5b-instruct).")
final class MakeModelCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, description = "config.json, or a directory holding one")
  Path config;

  @Option(names = "--out", required = true, description = "output model directory")
  Path out;

  @Option(names = "--seed", defaultValue = "0", description = "weight seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--dtype", defaultValue = "f32", description = "stored dtype: f32, f16 or bf16 (default: ${DEFAULT-VALUE})")
  String dtype;

  @Option(names = "--set", description = "override a config key, e.g. --set num_hidden_layers=2 (repeatable)")
  List<String> sets = new ArrayList<>();

  @Option(names = "--chat-format", description = "chatml, qwen3, deepseek-r1 or llama3 (default: by model_type or preset)")
  String chatFormat;

  @Option(names = "--shard-size-mb", defaultValue = "4096", description = "max MB per safetensors shard (default: ${DEFAULT-VALUE})")
  long shardMb;

  @Option(names = "--force", description = "replace a non-empty output directory")
  boolean force;

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    ModelMaker.Options options = new ModelMaker.Options(seed, DType.parse(dtype), ModelMaker.parseOverrides(sets),
        chatFormat == null ? null : ChatFormat.fromName(chatFormat), shardMb << 20, force);
    ModelConfig c = ModelMaker.make(config, out, options);
    System.out.printf("wrote %s: %s, %,d parameters, %s, %.1f s%n", out, c.modelType(), c.parameterCount(),
        options.dtype(), (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
