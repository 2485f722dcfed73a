package io.tokenmill.engine.runtime;

import static io.tokenmill.engine.weights.WeightNames.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.runtime.DeviceTensorLoader.Part;
import io.tokenmill.engine.weights.Checkpoint;
import io.tokenmill.engine.weights.WeightSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoder's weights on the device, laid out for few ops per step: q/k/v fused into one matrix (one
 * GEMM), gate/up fused likewise, each projection in the device's fastest layout ({@link Projection}), the attention scale 1/sqrt(head_dim) folded into the
 * query projection (or into q_norm for Qwen3, whose norm would undo a scale applied before it), and
 * Qwen3's q/k norms stacked into one (nHeads + nKvHeads, headDim) weight so both run as one norm.
 */
record DecoderWeights(
    NDArray embedding, List<Layer> layers, NDArray finalNorm, Projection lmHead) {

  record Layer(
      NDArray inputNorm, Projection qkv, NDArray qkNorm, Projection o, NDArray postNorm,
      Projection gateUp, Projection down) {}

  /** Validates the checkpoint against the config, then loads every tensor once. */
  static DecoderWeights load(ModelConfig c, Checkpoint ckpt, NDManager manager, ComputeDevice device) {
    new WeightSchema(c).validate(ckpt);
    DeviceTensorLoader loader = new DeviceTensorLoader(ckpt, manager, device);
    float qScale = (float) (1.0 / Math.sqrt(c.headDim()));
    int h = c.hiddenSize();
    int qOut = c.numHeads() * c.headDim();
    int kvOut = c.numKvHeads() * c.headDim();
    boolean scaleInNorm = c.architecture().qkNorm();
    float projScale = scaleInNorm ? 1f : qScale;

    boolean inputMajor = !device.isGpu();
    NDArray embedding = loader.load(ckpt.require(EMBED));
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < c.numLayers(); i++) {
      final int li = i;
      java.util.function.Function<String, Part> part = n -> Part.of(ckpt.require(layer(li, n)));
      List<Part> qkvParts = List.of(new Part(ckpt.require(layer(i, Q + ".weight")), projScale, 1),
          part.apply(K + ".weight"), part.apply(V + ".weight"));
      NDArray qkvBias = !c.architecture().qkvBias() ? null : loader.load(new Shape(qOut + 2L * kvOut), List.of(
          new Part(ckpt.require(layer(i, Q + ".bias")), projScale, 1),
          part.apply(K + ".bias"), part.apply(V + ".bias")));
      NDArray qkNorm = !c.architecture().qkNorm() ? null : loader.load(
          new Shape(c.numHeads() + c.numKvHeads(), c.headDim()), List.of(
              new Part(ckpt.require(layer(i, Q_NORM)), qScale, c.numHeads()),
              new Part(ckpt.require(layer(i, K_NORM)), 1f, c.numKvHeads())));
      NDArray oBias = c.architecture().outputBias() ? loader.load(ckpt.require(layer(i, O + ".bias"))) : null;
      layers.add(new Layer(
          loader.load(ckpt.require(layer(i, INPUT_NORM))),
          project(loader, inputMajor, h, qOut + 2L * kvOut, qkvParts, qkvBias),
          qkNorm,
          project(loader, inputMajor, qOut, h, List.of(part.apply(O + ".weight")), oBias),
          loader.load(ckpt.require(layer(i, POST_NORM))),
          project(loader, inputMajor, h, 2L * c.intermediateSize(), List.of(part.apply(GATE), part.apply(UP)), null),
          project(loader, inputMajor, c.intermediateSize(), h, List.of(part.apply(DOWN)), null)));
    }
    NDArray finalNorm = loader.load(ckpt.require(FINAL_NORM));
    // Tied embeddings: the output projection is the embedding matrix. On GPU it is the same array; on
    // CPU the input-major copy costs vocab × hidden floats and buys the faster GEMM on the hottest matmul.
    Projection lmHead = c.tieWordEmbeddings() && !inputMajor
        ? new Projection(List.of(embedding), null, false)
        : project(loader, inputMajor, h, c.vocabSize(),
            List.of(Part.of(ckpt.require(c.tieWordEmbeddings() ? EMBED : LM_HEAD))), null);
    return new DecoderWeights(embedding, List.copyOf(layers), finalNorm, lmHead);
  }

  private static Projection project(DeviceTensorLoader loader, boolean inputMajor, long in, long out,
      List<Part> parts, NDArray bias) {
    List<NDArray> w = inputMajor ? loader.loadInputMajor(in, parts, Projection.CPU_CHUNK)
        : List.of(loader.load(new Shape(out, in), parts));
    return new Projection(w, bias, inputMajor);
  }
}
