package io.tokenmill.jobs.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.tokenmill.engine.bench.DecodeBenchmark;
import io.tokenmill.engine.bench.ReasoningWorkloadBenchmark;
import io.tokenmill.engine.bench.Roofline;
import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.runtime.NativeKernels;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.runtime.ComputeDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tokenmill bench}: prefill and decode tokens/s per batch size through the engine (greedy, and with
 * {@code --sampled} also temperature 0.6 / top-p 0.95), each judged against this machine's roofline
 * measured in the same run, with host ms per decode step and DJL ops per layer per step; the table is
 * printed and saved as JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure engine prefill/decode throughput against this machine's roofline.")
final class BenchCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "HF model directory")
  Path model;

  @Option(names = "--batch", split = ",", defaultValue = "1,8,32", description = "batch sizes (default: ${DEFAULT-VALUE})")
  int[] batches;

  @Option(names = "--prompt-len", defaultValue = "128", description = "default: ${DEFAULT-VALUE}")
  int promptLen;

  @Option(names = "--gen", defaultValue = "64", description = "tokens generated per sequence (default: ${DEFAULT-VALUE})")
  int gen;

  @Option(names = "--device", defaultValue = "auto", description = "cpu, cpu-f16, cpu-bf16, gpu, gpu:N or auto (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--out", defaultValue = "bench/results", description = "JSON output directory (default: ${DEFAULT-VALUE})")
  Path outDir;

  @Option(names = "--workload", defaultValue = "decode",
      description = "decode (prefill/decode vs roofline) or reasoning (continuous vs static batching) (default: ${DEFAULT-VALUE})")
  String workload;

  @Option(names = "--requests", defaultValue = "128", description = "reasoning workload: requests (default: ${DEFAULT-VALUE})")
  int requests;

  @Option(names = "--max-batch", defaultValue = "32", description = "reasoning workload: max batch of both modes (default: ${DEFAULT-VALUE})")
  int maxBatch;

  @Option(names = "--min-len", defaultValue = "20", description = "reasoning workload: shortest output (default: ${DEFAULT-VALUE})")
  int minLen;

  @Option(names = "--max-len", defaultValue = "2000", description = "reasoning workload: longest output (default: ${DEFAULT-VALUE})")
  int maxLen;

  @Option(names = "--median-len", defaultValue = "150", description = "reasoning workload: median output, log-normal (default: ${DEFAULT-VALUE})")
  int medianLen;

  @Option(names = "--seed", defaultValue = "1", description = "workload seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--sampled", description = "also decode sampled (temperature 0.6, top-p 0.95), next to greedy")
  boolean sampled;

  @Override
  public Integer call() throws Exception {
    if (workload.equals("reasoning")) return reasoning();
    if (!workload.equals("decode")) throw new IllegalArgumentException("--workload must be decode or reasoning");
    ComputeDevice dev = ComputeDevice.parse(device);
    ModelConfig config = ModelDir.open(model).config();
    System.out.printf("measuring roofline on %s ...%n", dev);
    Roofline roof = Roofline.measure(dev.device(), dev.dataType());
    int elemBytes = dev.dataType().getNumOfBytes();
    System.out.printf("read bandwidth %.1f GB/s, matmul %.1f GFLOP/s, threads %s%n", roof.readBytesPerSecond() / 1e9,
        roof.matmulFlopsPerSecond() / 1e9, System.getProperty("ai.djl.pytorch.num_threads", "default"));
    int maxBatch = java.util.Arrays.stream(batches).max().orElse(1);
    List<DecodeBenchmark.Mode> modes = sampled ? List.of(DecodeBenchmark.Mode.GREEDY, DecodeBenchmark.Mode.SAMPLED)
        : List.of(DecodeBenchmark.Mode.GREEDY);
    JsonObject json = new JsonObject();
    try (LoadedModel m = LoadedModel.open(model, dev, DecodeBenchmark.options(maxBatch, promptLen, gen))) {
      double loadSeconds = m.loadMillis() / 1e3;
      System.out.printf("model %s: %s, %,d parameters, %.2f GB per decode step, loaded in %.1f s%n", model,
          config.modelType(), config.parameterCount(), Roofline.weightBytesPerStep(config, elemBytes) / 1e9, loadSeconds);
      boolean nativeAttention = m.model().nativeAttention();
      System.out.printf("decode attention: %s (native kernels: %s)%n",
          nativeAttention ? "native, on the paged cache" : "DJL ops with block gathers", NativeKernels.status());
      boolean nativeLayers = m.model().nativeLayers();
      System.out.printf("decode layers: %s%n", nativeLayers
          ? "native, one call per step (steps up to " + m.model().nativeLayersMaxRows() + " token rows; wider: DJL ops)"
          : "DJL ops (" + m.model().nativeLayersStatus() + ")");
      for (DecodeBenchmark.Mode mode : modes) { // warm-up
        DecodeBenchmark.run(m, mode, Math.min(2, batches[0]), Math.min(16, promptLen), 4, 1);
      }
      System.out.println("host ms: step wall time outside native compute (scheduling, inputs, stop checks); "
          + "ops: DJL ops per layer per decode step, and per step outside the layers (embedding, head, sampling)");
      System.out.printf("%6s %8s %14s %14s %10s %8s %10s %10s %16s %8s%n", "batch", "mode", "prefill tok/s",
          "decode tok/s", "ms/step", "host ms", "ops/layer", "other ops", "roofline tok/s", "ratio");
      JsonArray rows = new JsonArray();
      for (int b : batches) {
        for (DecodeBenchmark.Mode mode : modes) {
          DecodeBenchmark.Result r = DecodeBenchmark.run(m, mode, b, promptLen, gen, 42 + b);
          int meanContext = promptLen + gen / 2; // the KV cache a decode step reads, on average
          // cpu-f16: steps of few rows read the fp16 copies of the (large) projections; cpu-bf16: every
          // step reads bf16 weights (its compute ceiling stays the fp32 GEMM probe's: a conservative roof)
          int weightBytes = b <= m.model().halfGemvMaxRows() || m.model().bf16Projections() > 0 ? 2 : elemBytes;
          double ceiling = roof.decodeTokensPerSecond(config, b, meanContext, weightBytes, elemBytes);
          String bound = roof.bandwidthBound(config, b, meanContext, weightBytes, elemBytes)
              <= roof.computeBound(config, meanContext) ? "bw" : "flops";
          System.out.printf("%6d %8s %14.1f %14.1f %10.1f %8.2f %10.1f %10.1f %11.1f (%s) %7.0f%%%n", b,
              mode.name().toLowerCase(java.util.Locale.ROOT), r.prefillTokensPerSecond(), r.decodeTokensPerSecond(),
              r.msPerDecodeStep(), r.hostMsPerDecodeStep(), r.opsPerLayer(), r.otherOpsPerStep(), ceiling, bound,
              100 * r.decodeTokensPerSecond() / ceiling);
          JsonObject row = new JsonObject();
          row.addProperty("batch", b);
          row.addProperty("mode", mode.name().toLowerCase(java.util.Locale.ROOT));
          row.addProperty("prefill_tok_s", r.prefillTokensPerSecond());
          row.addProperty("decode_tok_s", r.decodeTokensPerSecond());
          row.addProperty("ms_per_decode_step", r.msPerDecodeStep());
          row.addProperty("host_ms_per_decode_step", r.hostMsPerDecodeStep());
          row.addProperty("runner_ms_per_decode_step", r.runnerSecondsPerStep() * 1000);
          row.addProperty("ops_per_layer_per_step", r.opsPerLayer());
          row.addProperty("other_ops_per_step", r.otherOpsPerStep());
          row.addProperty("weight_bytes_per_element", weightBytes);
          row.addProperty("roofline_tok_s", ceiling);
          row.addProperty("roofline_bound", bound);
          row.addProperty("ratio_to_roofline", r.decodeTokensPerSecond() / ceiling);
          rows.add(row);
        }
      }
      json.addProperty("model", model.toString());
      json.addProperty("model_type", config.modelType());
      json.addProperty("parameters", config.parameterCount());
      json.addProperty("device", dev.toString());
      json.addProperty("load_seconds", loadSeconds);
      json.addProperty("native_attention", nativeAttention);
      json.addProperty("native_layers", nativeLayers);
      json.addProperty("prompt_len", promptLen);
      json.addProperty("gen", gen);
      json.addProperty("read_gb_s", roof.readBytesPerSecond() / 1e9);
      json.addProperty("matmul_gflop_s", roof.matmulFlopsPerSecond() / 1e9);
      json.addProperty("cores", Runtime.getRuntime().availableProcessors());
      json.add("results", rows);
    }
    write(json, "bench");
    return 0;
  }

  private Integer reasoning() throws Exception {
    ComputeDevice dev = ComputeDevice.parse(device);
    ModelConfig config = ModelDir.open(model).config();
    var w = ReasoningWorkloadBenchmark.workload(requests, minLen, maxLen, medianLen, config.vocabSize(), seed);
    int[] lens = w.outputLengths().clone();
    java.util.Arrays.sort(lens);
    System.out.printf("workload: %d requests, output tokens %d..%d (median %d, total %d), max batch %d, %s%n",
        requests, lens[0], lens[lens.length - 1], lens[lens.length / 2], w.totalOutputTokens(), maxBatch, dev);
    {
      ReasoningWorkloadBenchmark.run(model, dev, ReasoningWorkloadBenchmark.workload(8, 8, 16, 10, config.vocabSize(), 0), 4); // warm-up
      var r = ReasoningWorkloadBenchmark.run(model, dev, w, maxBatch);
      System.out.printf("%-12s %10s %12s %10s %8s%n", "mode", "seconds", "output tok/s", "occupancy", "steps");
      System.out.printf("%-12s %10.1f %12.1f %10.2f %8d%n", "continuous", r.continuous().seconds(),
          r.continuous().tokensPerSecond(), r.continuous().occupancy(), r.continuous().steps());
      System.out.printf("%-12s %10.1f %12.1f %10.2f %8d%n", "static", r.staticBatching().seconds(),
          r.staticBatching().tokensPerSecond(), r.staticBatching().occupancy(), r.staticBatching().steps());
      System.out.printf("continuous / static throughput: %.2fx; prefill tokens %d, decode tokens %d, preemptions %d, "
          + "engine time in forward+sampling %.1f s%n", r.speedup(), r.engine().prefillTokens(), r.engine().decodeTokens(),
          r.engine().preemptions(), r.engine().forwardSeconds());
      JsonObject json = new JsonObject();
      json.addProperty("workload", "reasoning");
      json.addProperty("model", model.toString());
      json.addProperty("device", dev.toString());
      json.addProperty("requests", requests);
      json.addProperty("max_batch", maxBatch);
      json.addProperty("output_tokens", w.totalOutputTokens());
      json.addProperty("continuous_tok_s", r.continuous().tokensPerSecond());
      json.addProperty("continuous_occupancy", r.continuous().occupancy());
      json.addProperty("static_tok_s", r.staticBatching().tokensPerSecond());
      json.addProperty("static_occupancy", r.staticBatching().occupancy());
      json.addProperty("speedup", r.speedup());
      write(json, "reasoning");
    }
    return 0;
  }

  private void write(JsonObject json, String kind) throws java.io.IOException {
    Files.createDirectories(outDir);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path out = outDir.resolve(kind + "-" + stamp + "-" + model.getFileName() + ".json");
    Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(json));
    System.out.println("wrote " + out);
  }
}
