package io.tokenmill.engine.make;

import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.weights.SafetensorsWriter;
import io.tokenmill.engine.weights.WeightSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random weights for a config, deterministic per (seed, tensor name) so the same command always writes
 * the same model whatever order tensors are produced in. Scales keep activations O(1) through any depth
 * (linear weights ~ N(0, 1/fan_in), embeddings ~ N(0, 0.02²)) and make every tensor matter: norm weights are 1 ± 0.1 and biases
 * non-zero, so a forward pass that skipped one would not match the reference.
 */
public final class RandomWeights {

  private RandomWeights() {}

  public static List<SafetensorsWriter.Tensor> tensors(ModelConfig config, long seed) {
    List<SafetensorsWriter.Tensor> out = new ArrayList<>();
    new WeightSchema(config).expected().forEach((name, shape) ->
        out.add(new SafetensorsWriter.Tensor(name, shape, t -> values(t, seed))));
    return out;
  }

  static float[] values(SafetensorsWriter.Tensor t, long seed) {
    long[] shape = t.shape();
    long count = 1;
    for (long d : shape) count *= d;
    float[] v = new float[Math.toIntExact(count)];
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ stableHash(t.name()));
    String n = t.name();
    if (n.endsWith("norm.weight")) {
      for (int i = 0; i < v.length; i++) v[i] = (float) (1 + 0.1 * rng.nextGaussian());
    } else if (n.endsWith(".bias")) {
      for (int i = 0; i < v.length; i++) v[i] = (float) (0.1 * rng.nextGaussian());
    } else if (n.equals("model.embed_tokens.weight")) {
      // HF's initializer_range: small next to the O(1) block outputs, so the residual stream is not just
      // the input embedding (with tied heads that would make every token predict itself).
      for (int i = 0; i < v.length; i++) v[i] = (float) (0.02 * rng.nextGaussian());
    } else {
      double std = 1 / Math.sqrt(shape[shape.length - 1]);
      for (int i = 0; i < v.length; i++) v[i] = (float) (std * rng.nextGaussian());
    }
    return v;
  }

  /** FNV-1a over the name's chars: stable across JVMs and releases. */
  static long stableHash(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }
}
