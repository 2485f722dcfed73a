package io.tokenmill.engine.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.inference.Engine;
import io.tokenmill.engine.inference.GenerationRequest;
import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.inference.RequestHandle;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.sampling.DeviceSampler;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.sampling.TokenSampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Two probes of sampled decoding (docs/PERFORMANCE.md, "Sampling on the device"):
 *
 * <ul>
 *   <li>{@code MODEL_DIR [batch] [promptLen] [gen] [rounds]}: greedy vs sampled (temperature 0.6, top-p
 *       0.95) decoding through {@link Engine}: B requests of P random prompt tokens, G output tokens each
 *       (EOS ignored), submitted together; decode steps/s is the engine's step count after the first
 *       (prefill) step over the wall time after it. Rounds alternate greedy and sampled so drift on a
 *       shared machine hits both; the median of each is printed.
 *   <li>{@code stage [batch] [vocab] [rounds]}: the sampling stage alone on Gaussian logits, flat (std
 *       0.32, what a random-weight model gives) and peaked (std 1 plus ten tokens 10-15 higher, the shape
 *       of a trained model's step: a nucleus of a few tokens): the device argmax, the host path
 *       this replaced (all logits to Java, {@link TokenSampler} per row) and {@link DeviceSampler} with
 *       wide nuclei on the host or on the device; median ms per step and bytes copied to Java.
 * </ul>
 */
public final class SamplingBenchmark {

  private SamplingBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("stage")) {
      stage(args.length > 1 ? Integer.parseInt(args[1]) : 32, args.length > 2 ? Integer.parseInt(args[2]) : 151_936,
          args.length > 3 ? Integer.parseInt(args[3]) : 5);
      return;
    }
    Path dir = Path.of(args[0]);
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int promptLen = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    int gen = args.length > 3 ? Integer.parseInt(args[3]) : 24;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    ModelDir md = ModelDir.validate(dir);
    SamplingParams greedy = DecodeBenchmark.Mode.GREEDY.params(gen);
    SamplingParams sampled = DecodeBenchmark.Mode.SAMPLED.params(gen);
    try (LoadedModel model = LoadedModel.open(dir, ComputeDevice.cpu(), DecodeBenchmark.options(batch, promptLen, gen))) {
      double[] g = new double[rounds];
      double[] s = new double[rounds];
      run(model.engine(), greedy, batch, promptLen); // warm-up
      for (int r = 0; r < rounds; r++) {
        g[r] = run(model.engine(), greedy, batch, promptLen);
        s[r] = run(model.engine(), sampled, batch, promptLen);
        System.out.printf("round %d: greedy %.2f steps/s, sampled %.2f steps/s%n", r, g[r], s[r]);
      }
      double mg = median(g);
      double ms = median(s);
      System.out.printf("batch %d, vocab %d: greedy %.2f steps/s (%.1f ms/step), sampled (t 0.6, top-p 0.95) "
          + "%.2f steps/s (%.1f ms/step), sampled/greedy %.2f%n", batch, md.config().vocabSize(), mg, 1000 / mg,
          ms, 1000 / ms, ms / mg);
    }
  }

  /** Decode steps per second of one batch run (all prompts admitted and prefilled in one step). */
  static double run(Engine engine, SamplingParams params, int batch, int promptLen) throws Exception {
    int vocab = engine.vocabSize();
    SplittableRandom rng = new SplittableRandom(5);
    long before = engine.metrics().steps();
    engine.pause();
    List<RequestHandle> hs = new ArrayList<>();
    try {
      for (int b = 0; b < batch; b++) {
        hs.add(engine.submit(new GenerationRequest("r" + b, rng.ints(promptLen, 0, vocab).toArray(), params)));
      }
    } finally {
      engine.resume();
    }
    // The first step prefills every prompt; time from its end.
    while (engine.metrics().steps() < before + 1) Thread.sleep(1);
    long t0 = System.nanoTime();
    long steps0 = engine.metrics().steps();
    for (RequestHandle h : hs) h.results().get();
    double sec = (System.nanoTime() - t0) / 1e9;
    return (engine.metrics().steps() - steps0) / sec;
  }

  static void stage(int batch, int vocab, int rounds) {
    SamplingParams p = SamplingParams.builder().optTemperature(0.6).optTopP(0.95).build();
    SplittableRandom rng = new SplittableRandom(1);
    for (boolean peaked : new boolean[] {false, true}) {
      float[] flat = new float[batch * vocab];
      for (int i = 0; i < flat.length; i++) flat[i] = (float) (rng.nextGaussian() * (peaked ? 1 : 0.32));
      if (peaked) { // a trained model's shape: a few plausible tokens far above the rest
        for (int b = 0; b < batch; b++) {
          for (int j = 0; j < 10; j++) flat[b * vocab + rng.nextInt(vocab)] += (float) (10 + 5 * rng.nextDouble());
        }
      }
      List<DeviceSampler.Row> rows = new ArrayList<>();
      for (int b = 0; b < batch; b++) rows.add(new DeviceSampler.Row(b, p, null, rng.nextDouble()));
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray logits = m.create(flat, new Shape(batch, vocab));
        TokenSampler host = new TokenSampler();
        DeviceSampler onHost = new DeviceSampler(false);
        DeviceSampler onDevice = new DeviceSampler(true);
        double greedy = medianMs(rounds, logits, l -> {
          l.argMax(1).toLongArray();
          l.max(new int[] {1}).toFloatArray();
        });
        double old = medianMs(rounds, logits, l -> {
          float[] all = l.toFloatArray();
          for (int b = 0; b < batch; b++) {
            host.sample(Arrays.copyOfRange(all, b * vocab, (b + 1) * vocab), p, null, rows.get(b).uniform());
          }
        });
        double dh = medianMs(rounds, logits, l -> onHost.sample(l, rows));
        long bytesHost = onHost.lastBytesToHost();
        double dd = medianMs(rounds, logits, l -> onDevice.sample(l, rows));
        long bytesDevice = onDevice.lastBytesToHost();
        System.out.printf("%s logits, batch %d, vocab %d: device argmax %.1f ms (%d B); host sampler %.1f ms "
            + "(%d B); device sampler, wide nucleus on host %.1f ms (%d B); all on device %.1f ms (%d B)%n",
            peaked ? "peaked" : "flat",
            batch, vocab, greedy, batch * 12L, old, 4L * batch * vocab, dh, bytesHost, dd, bytesDevice);
      }
    }
  }

  /** Median time of {@code r} on a fresh copy of the logits; the copy's scope frees each round's temporaries. */
  private static double medianMs(int rounds, NDArray logits, java.util.function.Consumer<NDArray> r) {
    double[] t = new double[rounds];
    for (int i = -1; i < rounds; i++) {
      try (NDManager scope = logits.getManager().newSubManager()) {
        NDArray copy = logits.duplicate();
        copy.attach(scope);
        long t0 = System.nanoTime();
        r.accept(copy);
        if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return median(t);
  }

  private static double median(double[] x) {
    double[] c = x.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }
}
