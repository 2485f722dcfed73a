package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import io.tokenmill.engine.reference.ReferenceDecoder;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.runtime.DecoderModel;
import io.tokenmill.engine.runtime.KvCache;
import io.tokenmill.engine.runtime.StepBatch;
import io.tokenmill.engine.runtime.StepResult;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.reasoner.tasks.Problem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that the engine's {@link DecoderModel} computes the training forward's function on a model
 * directory: every problem (prompt + reference completion) goes through the training forward packed
 * together in one batch, and through the engine as a prefill of the prompt followed by one decode step
 * per completion token over the paged KV cache; the logits must agree at every completion position.
 */
final class ForwardEquivalence {

  /** Same bound as the engine-vs-reference test (max |a - b| / max |b| per logit vector). */
  static final double TOLERANCE = 1e-4;

  private ForwardEquivalence() {}

  /** Returns the worst relative error seen. */
  static double assertSame(TrainableDecoder training, Path modelDir, List<Problem> problems) {
    List<PackedBatch.Sequence> seqs = new ArrayList<>();
    try (ModelTokenizer tok = ModelTokenizer.load(modelDir)) {
      ProblemEncoder enc = new ProblemEncoder(tok);
      for (Problem p : problems) seqs.add(enc.sequence(p));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    List<PackedBatch.Sequence> pending = new ArrayList<>(seqs);
    PackedBatch batch = PackedBatch.pack(pending, 2, 512, 0); // two rows: sequences share rows
    assertTrue(pending.isEmpty(), "all sequences packed");
    float[] trainLogits;
    try (NDManager scope = NDManager.newBaseManager()) {
      trainLogits = training.logits(scope, batch).toFloatArray();
    }
    int vocab = training.config().vocabSize();
    double worst = 0;
    try (DecoderModel engine = DecoderModel.load(training.config(), modelDir, ComputeDevice.cpu());
        KvCache cache = engine.newKvCache(64, 16, 512)) {
      for (int k = 0; k < seqs.size(); k++) {
        int[] ids = seqs.get(k).ids();
        int promptLength = seqs.get(k).promptLength();
        int[][] table = {new int[32]};
        for (int i = 0; i < 32; i++) table[0][i] = 63 - i; // descending, non-contiguous-friendly layout
        for (int pos = promptLength - 1; pos < ids.length - 1; pos++) {
          StepBatch step = pos == promptLength - 1
              ? new StepBatch(table, new int[] {0}, new int[][] {java.util.Arrays.copyOf(ids, promptLength)})
              : StepBatch.decode(table, new int[] {pos}, new int[] {ids[pos]});
          try (StepResult r = engine.forward(cache, step)) {
            float[] expected = java.util.Arrays.copyOfRange(trainLogits, slot(batch, k, pos) * vocab,
                (slot(batch, k, pos) + 1) * vocab);
            double err = ReferenceDecoder.maxRelativeError(r.toFloatArrays()[0], toDouble(expected));
            assertTrue(err <= TOLERANCE, "problem " + k + " position " + pos + ": relative error " + err);
            worst = Math.max(worst, err);
          }
        }
      }
    }
    return worst;
  }

  private static int slot(PackedBatch b, int sequence, int position) {
    for (int i = 0; i < b.sequence().length; i++) {
      if (b.sequence()[i] == sequence && b.positions()[i] == position) return i;
    }
    throw new IllegalArgumentException("no slot for sequence " + sequence + " position " + position);
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }
}
