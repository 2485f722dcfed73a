package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link DeviceSampler} against its oracle {@link TokenSampler}, row by row, for the same uniforms.
 *
 * <p>Boundary rule: the device works in float32 where the oracle uses float64, so a draw that falls
 * within ~1e-7 of an interval boundary (or a top-p mass within ~1e-6 of a cut) may legitimately go
 * the other way. A case counts as "clear" when the oracle itself gives the same token with u, top-p
 * and min-p each moved by ±2e-6 (relative); clear cases must agree exactly, and the unclear ones are
 * counted and bounded.
 */
class DeviceSamplerTest {

  static final double EPS = 2e-6;

  record Config(String name, SamplingParams params, float logitStd) {}

  static List<Config> configs() {
    List<Config> c = new ArrayList<>();
    c.add(new Config("temperature", SamplingParams.builder().optTemperature(0.8).build(), 2f));
    c.add(new Config("temperature flat", SamplingParams.builder().optTemperature(1.3).build(), 0.3f));
    c.add(new Config("min-p", SamplingParams.builder().optTemperature(0.7).optMinP(0.05).build(), 2f));
    c.add(new Config("top-k", SamplingParams.builder().optTemperature(0.9).optTopK(40).build(), 2f));
    c.add(new Config("top-k 300 + top-p", SamplingParams.builder().optTemperature(0.9).optTopK(300)
        .optTopP(0.8).build(), 0.5f));
    c.add(new Config("top-p peaked", SamplingParams.builder().optTemperature(0.6).optTopP(0.95).build(), 4f));
    c.add(new Config("top-p, a nucleus of one token", SamplingParams.builder().optTemperature(0.6).optTopP(0.95)
        .build(), 12f));
    c.add(new Config("top-p flat (wide nucleus)", SamplingParams.builder().optTemperature(0.6).optTopP(0.95)
        .build(), 0.3f));
    c.add(new Config("top-p + min-p", SamplingParams.builder().optTemperature(1.0).optTopP(0.9).optMinP(0.1)
        .build(), 3f));
    c.add(new Config("penalties", SamplingParams.builder().optTemperature(0.7).optTopP(0.9)
        .optRepetitionPenalty(1.3).optFrequencyPenalty(0.4).optPresencePenalty(-0.3).build(), 3f));
    c.add(new Config("greedy + penalties", SamplingParams.builder().optTemperature(0)
        .optRepetitionPenalty(1.2).optPresencePenalty(0.5).build(), 3f));
    c.add(new Config("temperature + logprobs", SamplingParams.builder().optTemperature(1.0).optLogprobs(5)
        .build(), 2f));
    return c;
  }

  @Test
  void equalsTheOracleAwayFromBoundaries() {
    for (boolean wideOnDevice : new boolean[] {false, true}) {
      int clear = 0;
      int unclear = 0;
      int unclearDisagree = 0;
      for (Config cfg : configs()) {
        int[] r = compare(cfg, wideOnDevice, 4096, 16, 6, 17);
        clear += r[0];
        unclear += r[1];
        unclearDisagree += r[2];
      }
      assertTrue(unclear <= (clear + unclear) / 20, "near-boundary cases " + unclear + " of " + (clear + unclear));
      assertTrue(unclearDisagree <= unclear);
      System.out.printf("wideOnDevice=%s: %d clear cases agree, %d near a boundary (%d of them differ)%n",
          wideOnDevice, clear, unclear, unclearDisagree);
    }
  }

  @Test
  void smallVocabularyWithinTheProbeEqualsTheOracle() {
    for (Config cfg : configs()) compare(cfg, true, 200, 8, 3, 5);
  }

  /** Above the oracle's probe but probed whole on the device (no wide-nucleus step): as the oracle. */
  @Test
  void vocabularyProbedWholeEqualsTheOracle() {
    for (Config cfg : configs()) compare(cfg, false, 700, 8, 3, 11);
  }

  /** Returns {clear cases, unclear cases, unclear cases that differ}; fails on a clear disagreement. */
  static int[] compare(Config cfg, boolean wideOnDevice, int vocab, int rows, int rounds, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    TokenSampler oracle = new TokenSampler();
    DeviceSampler device = new DeviceSampler(wideOnDevice);
    int[] counts = new int[3];
    try (NDManager m = NDManager.newBaseManager()) {
      for (int round = 0; round < rounds; round++) {
        float[][] logits = new float[rows][vocab];
        List<DeviceSampler.Row> batch = new ArrayList<>();
        for (int b = 0; b < rows; b++) {
          for (int v = 0; v < vocab; v++) logits[b][v] = (float) (rng.nextGaussian() * cfg.logitStd());
          TokenCounts h = new TokenCounts(rng.ints(20, 0, vocab).toArray());
          for (int t = 0; t < 30; t++) h.add(rng.nextInt(vocab / 8)); // repeats, so counts > 1
          batch.add(new DeviceSampler.Row(b, cfg.params(), h, rng.nextDouble()));
        }
        DeviceSampler.Outcome[] got = device.sample(m.create(flatten(logits), new Shape(rows, vocab)), batch);
        for (int b = 0; b < rows; b++) {
          DeviceSampler.Row row = batch.get(b);
          SampledToken want = oracle.sample(logits[b], cfg.params(), row.history(), row.uniform());
          assertNull(got[b].problem(), cfg.name());
          SampledToken g = got[b].token();
          boolean same = g.tokenId() == want.tokenId();
          if (isClear(oracle, logits[b], cfg.params(), row, want.tokenId())) {
            counts[0]++;
            assertTrue(same, cfg.name() + " wideOnDevice=" + wideOnDevice + " row " + b + " round " + round
                + ": device " + g.tokenId() + " oracle " + want.tokenId() + " u " + row.uniform());
          } else {
            counts[1]++;
            if (!same) counts[2]++;
          }
          if (cfg.params().logprobs() != null && same) {
            assertEquals(want.logprob(), g.logprob(), 1e-4, cfg.name());
            assertArrayEquals(want.topIds(), g.topIds(), cfg.name());
            assertArrayEquals(want.topLogprobs(), g.topLogprobs(), 1e-4f, cfg.name());
          }
        }
      }
    }
    return counts;
  }

  /** Whether the oracle's choice survives moving u, top-p and min-p by ±EPS: not near any boundary. */
  static boolean isClear(TokenSampler oracle, float[] logits, SamplingParams p, DeviceSampler.Row row, int token) {
    if (p.isGreedy()) return true;
    for (double d : new double[] {-EPS, EPS}) {
      double u = Math.min(Math.max(row.uniform() + d, 0), Math.nextDown(1.0));
      if (oracle.sample(logits, p, row.history(), u).tokenId() != token) return false;
      SamplingParams moved = p.toBuilder().optTopP(Math.min(1.0, p.topP() * (1 + d)))
          .optMinP(Math.max(0, Math.min(1, p.minP() * (1 + d)))).build();
      if (oracle.sample(logits, moved, row.history(), row.uniform()).tokenId() != token) return false;
    }
    return true;
  }

  /**
   * Mixed batches (greedy rows, rows whose nucleus is one token, probed rows, whole-row draws): each row
   * draws what it draws alone, for a vocabulary probed in part (3,000) and one probed whole (300: the
   * small probe first, probed rows gathered).
   */
  @Test
  void aRowDrawsTheSameAloneAsInABatch() {
    aRowDrawsTheSameAloneAsInABatch(3000);
    aRowDrawsTheSameAloneAsInABatch(300);
  }

  static void aRowDrawsTheSameAloneAsInABatch(int vocab) {
    SplittableRandom rng = new SplittableRandom(3);
    List<Config> cfgs = configs();
    int rows = cfgs.size();
    float[][] logits = new float[rows][vocab];
    List<DeviceSampler.Row> batch = new ArrayList<>();
    for (int b = 0; b < rows; b++) {
      for (int v = 0; v < vocab; v++) logits[b][v] = (float) (rng.nextGaussian() * cfgs.get(b).logitStd());
      TokenCounts h = new TokenCounts(rng.ints(10, 0, vocab).toArray());
      h.add(7);
      batch.add(new DeviceSampler.Row(b, cfgs.get(b).params(), h, rng.nextDouble()));
    }
    for (boolean wideOnDevice : new boolean[] {false, true}) {
      DeviceSampler device = new DeviceSampler(wideOnDevice);
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray all = m.create(flatten(logits), new Shape(rows, vocab));
        DeviceSampler.Outcome[] together = device.sample(all, batch);
        for (int b = 0; b < rows; b++) {
          DeviceSampler.Row r = batch.get(b);
          NDArray alone = m.create(logits[b], new Shape(1, vocab));
          DeviceSampler.Outcome single = device.sample(alone, List.of(new DeviceSampler.Row(0, r.params(),
              r.history(), r.uniform())))[0];
          assertEquals(single.token(), together[b].token(), cfgs.get(b).name());
        }
        // Rows picked out of order, one left out (a prefill chunk that samples nothing): gathered on the device.
        List<DeviceSampler.Row> picked = new ArrayList<>(batch.subList(1, rows));
        java.util.Collections.reverse(picked);
        DeviceSampler.Outcome[] some = device.sample(all, picked);
        for (int j = 0; j < picked.size(); j++) {
          int b = picked.get(j).index();
          assertEquals(together[b].token(), some[j].token(), cfgs.get(b).name() + " picked out of order");
        }
        assertArrayEquals(flatten(logits), all.toFloatArray(), "the logits are not modified");
      }
    }
  }

  @Test
  void nonFiniteRowsFailAloneOnEveryPath() {
    int vocab = 500;
    SamplingParams[] params = {
      SamplingParams.builder().optTemperature(0).optLogprobs(0).build(),
      SamplingParams.builder().optTemperature(0.7).optTopP(0.9).build(),
      SamplingParams.builder().optTemperature(0.7).build(),
      SamplingParams.builder().optTemperature(0.7).optTopK(5).optRepetitionPenalty(1.1).build(),
    };
    for (SamplingParams p : params) {
      float[][] logits = new float[4][vocab];
      SplittableRandom rng = new SplittableRandom(9);
      for (float[] row : logits) for (int v = 0; v < vocab; v++) row[v] = (float) rng.nextGaussian();
      logits[0][17] = Float.NaN;
      logits[1][3] = Float.POSITIVE_INFINITY;
      Arrays.fill(logits[2], Float.NEGATIVE_INFINITY);
      List<DeviceSampler.Row> rows = new ArrayList<>();
      for (int b = 0; b < 4; b++) rows.add(new DeviceSampler.Row(b, p, new TokenCounts(new int[] {1, 2}), 0.4));
      try (NDManager m = NDManager.newBaseManager()) {
        DeviceSampler.Outcome[] out = new DeviceSampler(false).sample(m.create(flatten(logits), new Shape(4, vocab)), rows);
        assertTrue(out[0].problem().contains("NaN"), p + ": " + out[0].problem());
        assertTrue(out[1].problem().contains("+Infinity"), p + ": " + out[1].problem());
        assertTrue(out[2].problem().contains("-Infinity"), p + ": " + out[2].problem());
        assertNull(out[3].problem(), p.toString());
        assertEquals(new TokenSampler().sample(logits[3], p, rows.get(3).history(), 0.4).tokenId(),
            out[3].token().tokenId(), p.toString());
      }
    }
  }

  @Test
  void onlyOrderBValuesComeBackToTheHost() {
    int vocab = 20_000;
    int rows = 16;
    SplittableRandom rng = new SplittableRandom(4);
    float[] flat = new float[rows * vocab];
    for (int i = 0; i < flat.length; i++) flat[i] = (float) (rng.nextGaussian() * 4);
    SamplingParams p = SamplingParams.builder().optTemperature(0.6).optTopP(0.95).build();
    List<DeviceSampler.Row> batch = new ArrayList<>();
    for (int b = 0; b < rows; b++) batch.add(new DeviceSampler.Row(b, p, null, rng.nextDouble()));
    try (NDManager m = NDManager.newBaseManager()) {
      DeviceSampler d = new DeviceSampler(true);
      d.sample(m.create(flat, new Shape(rows, vocab)), batch);
      // Per row: the maximum and the weights' total (float64 each); the argmax (8 bytes) when some
      // row's nucleus is its best token alone; per probe a row takes (a small one, then the full one for
      // wider nuclei) its choice and wide-nucleus flag (8 each).
      long bytes = d.lastBytesToHost();
      assertTrue(bytes >= rows * 32L && bytes <= rows * 56L, "bytes to host " + bytes);

      // Peaked rows (a trained model's usual step): each nucleus is the best token alone, so the
      // probe does not run and only the maxima, totals and argmax come back.
      for (int b = 0; b < rows; b++) flat[b * vocab + 100 + b] = 60f;
      DeviceSampler.Outcome[] out = d.sample(m.create(flat, new Shape(rows, vocab)), batch);
      assertEquals(rows * 24L, d.lastBytesToHost());
      for (int b = 0; b < rows; b++) assertEquals(100 + b, out[b].token().tokenId());
    }
  }

  static float[] flatten(float[][] a) {
    float[] f = new float[a.length * a[0].length];
    for (int i = 0; i < a.length; i++) System.arraycopy(a[i], 0, f, i * a[0].length, a[0].length);
    return f;
  }
}
