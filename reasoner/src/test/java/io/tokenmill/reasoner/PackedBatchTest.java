package io.tokenmill.reasoner;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Packing: every sequence placed once and intact, masks confine attention to a sequence's own past. */
class PackedBatchTest {

  @Test
  void maskIsCausalWithinEachSequenceOnly() {
    List<PackedBatch.Sequence> seqs = new ArrayList<>(List.of(seq(3, 1, 100), seq(2, 1, 200), seq(4, 2, 300)));
    PackedBatch b = PackedBatch.pack(seqs, 2, 6, 0);
    assertTrue(seqs.isEmpty());
    float[] mask = b.attentionMask();
    for (int r = 0; r < b.rows(); r++) {
      for (int i = 0; i < b.length(); i++) {
        for (int j = 0; j < b.length(); j++) {
          int si = b.sequence()[r * b.length() + i];
          int sj = b.sequence()[r * b.length() + j];
          boolean visible = j <= i && si == sj;
          assertEquals(visible ? 0f : -1e9f, mask[(r * b.length() + i) * b.length() + j], r + ":" + i + "," + j);
        }
      }
    }
    // row 0: seq 0 (3 tokens) + seq 1 (2 tokens) + 1 pad; row 1: seq 2 (4 tokens) + 2 pads
    assertArrayEquals(new long[] {0, 1, 2, 0, 1, 0, 0, 1, 2, 3, 0, 0}, b.positions());
    // targets: next token within the sequence, trained only inside the completion
    assertEquals(101, b.targets()[0]);
    assertEquals(1f, b.lossMask()[0]); // token 1 of seq 0 is the first completion token (prompt length 1)
    assertEquals(0f, b.lossMask()[2]); // last token of seq 0: nothing to predict
    assertEquals(0f, b.lossMask()[6]); // seq 2 has a 2-token prompt: token 1 is still prompt
    assertEquals(1f, b.lossMask()[7]);
  }

  @Test
  void bucketedPackingPlacesEverySequenceOnceInTheShortestFittingRows() {
    Random rng = new Random(3);
    List<PackedBatch.Sequence> seqs = new ArrayList<>();
    for (int i = 0; i < 200; i++) seqs.add(seq(5 + rng.nextInt(300), 2, i * 1000));
    int[] lengths = {80, 160, 240, 320};
    List<PackedBatch> batches = PackedBatch.packBucketed(seqs, lengths, 0);
    Set<Long> firstTokens = new HashSet<>();
    long real = 0;
    long slots = 0;
    for (PackedBatch b : batches) {
      slots += (long) b.rows() * b.length();
      for (int i = 0; i < b.tokens().length; i++) {
        if (b.sequence()[i] < 0) continue;
        real++;
        if (b.positions()[i] == 0) assertTrue(firstTokens.add(b.tokens()[i]), "sequence placed twice");
        if (b.positions()[i] > 0) assertEquals(b.tokens()[i - 1] + 1, b.tokens()[i], "sequence kept intact");
      }
    }
    assertEquals(200, firstTokens.size());
    assertEquals(seqs.stream().mapToLong(s -> s.ids().length).sum(), real);
    assertTrue((double) real / slots > 0.85, "fill " + (double) real / slots);
  }

  /** A sequence of consecutive ids starting at {@code first}. */
  private static PackedBatch.Sequence seq(int length, int prompt, int first) {
    int[] ids = new int[length];
    for (int i = 0; i < length; i++) ids[i] = first + i;
    return new PackedBatch.Sequence(ids, prompt);
  }
}
