package io.tokenmill.engine.weights;

import static io.tokenmill.engine.weights.WeightNames.*;

import io.tokenmill.engine.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every tensor a config implies, with its shape, and the check of a checkpoint against it: each expected
 * tensor present with that shape and a supported dtype, and each tensor in the files either consumed or
 * deliberately ignored. Problems are collected and reported together, each naming file and tensor.
 */
public final class WeightSchema {

  /**
   * Tensors some exporters write that the forward pass derives itself: old HF checkpoints saved RoPE's
   * {@code inv_freq} buffer; it is recomputed from rope_theta/rope_scaling, which is authoritative.
   */
  private static final Pattern IGNORABLE = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

  private static final Pattern LAYER_INDEX = Pattern.compile("model\\.layers\\.(\\d{1,9})\\..*");

  private final Map<String, long[]> expected;
  private final boolean tied;
  private final long[] lmHeadShape;
  private final int numLayers;

  public WeightSchema(ModelConfig c) {
    this.numLayers = c.numLayers();
    long h = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    Map<String, long[]> m = new LinkedHashMap<>();
    m.put(EMBED, new long[] {c.vocabSize(), h});
    for (int i = 0; i < c.numLayers(); i++) {
      m.put(layer(i, INPUT_NORM), new long[] {h});
      m.put(layer(i, Q + ".weight"), new long[] {q, h});
      m.put(layer(i, K + ".weight"), new long[] {kv, h});
      m.put(layer(i, V + ".weight"), new long[] {kv, h});
      if (c.architecture().qkvBias()) {
        m.put(layer(i, Q + ".bias"), new long[] {q});
        m.put(layer(i, K + ".bias"), new long[] {kv});
        m.put(layer(i, V + ".bias"), new long[] {kv});
      }
      if (c.architecture().qkNorm()) {
        m.put(layer(i, Q_NORM), new long[] {c.headDim()});
        m.put(layer(i, K_NORM), new long[] {c.headDim()});
      }
      m.put(layer(i, O + ".weight"), new long[] {h, q});
      if (c.architecture().outputBias()) {
        m.put(layer(i, O + ".bias"), new long[] {h});
      }
      m.put(layer(i, POST_NORM), new long[] {h});
      m.put(layer(i, GATE), new long[] {c.intermediateSize(), h});
      m.put(layer(i, UP), new long[] {c.intermediateSize(), h});
      m.put(layer(i, DOWN), new long[] {h, c.intermediateSize()});
    }
    m.put(FINAL_NORM, new long[] {h});
    this.tied = c.tieWordEmbeddings();
    this.lmHeadShape = new long[] {c.vocabSize(), h};
    if (!tied) {
      m.put(LM_HEAD, lmHeadShape);
    }
    this.expected = m;
  }

  /**
   * A layer count that disagrees with the checkpoint is one problem, not one per missing tensor: said
   * first, in one line, from the tensors actually present.
   */
  private void checkLayerCount(Map<String, TensorEntry> present) {
    int highest = -1;
    TensorEntry sample = null;
    for (TensorEntry e : present.values()) {
      Matcher m = LAYER_INDEX.matcher(e.name());
      if (m.matches()) {
        int i = Integer.parseInt(m.group(1));
        if (i > highest) {
          highest = i;
          sample = e;
        }
      }
    }
    if (sample != null && highest + 1 != numLayers) {
      throw new IllegalArgumentException("config.json num_hidden_layers is " + numLayers + " but "
          + sample.file().getFileName() + " holds layers up to " + highest + " (" + (highest + 1) + " layers)");
    }
  }

  /** Expected tensors in a stable order (embedding, layers, final norm, lm_head). */
  public Map<String, long[]> expected() {
    return expected;
  }

  /** Throws one exception listing every problem found, or returns quietly. */
  public void validate(Checkpoint checkpoint) {
    Map<String, TensorEntry> present = checkpoint.tensors();
    checkLayerCount(present);
    List<String> problems = new ArrayList<>();
    expected.forEach((name, shape) -> {
      TensorEntry e = present.get(name);
      if (e == null) {
        problems.add("missing tensor '" + name + "' (expected shape " + Arrays.toString(shape) + ")");
      } else if (!Arrays.equals(e.shape(), shape)) {
        problems.add(e.where() + " has shape " + Arrays.toString(e.shape()) + ", config implies "
            + Arrays.toString(shape));
      }
    });
    for (TensorEntry e : present.values()) {
      if (expected.containsKey(e.name()) || IGNORABLE.matcher(e.name()).matches()) {
        continue;
      }
      if (tied && e.name().equals(LM_HEAD)) {
        // NOTE: some exporters save lm_head even with tie_word_embeddings=true; HF then ties it to the
        // embedding and ignores the stored copy, and so do we -- but a wrong shape still means a wrong config.
        if (!Arrays.equals(e.shape(), lmHeadShape)) {
          problems.add(e.where() + " has shape " + Arrays.toString(e.shape()) + ", config implies "
              + Arrays.toString(lmHeadShape));
        }
        continue;
      }
      problems.add(e.where() + " is not used by this config (" + e.dtype() + Arrays.toString(e.shape())
          + "): wrong model_type or num_hidden_layers?");
    }
    if (!problems.isEmpty()) {
      int shown = Math.min(problems.size(), 20);
      throw new IllegalArgumentException("checkpoint does not match config.json (" + problems.size() + " problem"
          + (problems.size() == 1 ? "" : "s") + "):\n  " + String.join("\n  ", problems.subList(0, shown))
          + (shown < problems.size() ? "\n  ... and " + (problems.size() - shown) + " more" : ""));
    }
  }
}
