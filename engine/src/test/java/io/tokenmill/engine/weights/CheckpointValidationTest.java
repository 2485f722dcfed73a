package io.tokenmill.engine.weights;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.model.ModelConfig;
import io.tokenmill.engine.testing.TinyModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading fails loudly, naming the file and the tensor, on every kind of bad checkpoint. */
class CheckpointValidationTest {

  @TempDir Path tmp;

  @Test
  void pickledCheckpointsAreRefusedWithTheReason() throws IOException {
    Files.writeString(tmp.resolve("pytorch_model.bin"), "not really a pickle");
    var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(tmp));
    assertTrue(e.getMessage().contains("pytorch_model.bin"), e.getMessage());
    assertTrue(e.getMessage().contains("execute code"), e.getMessage());
  }

  @Test
  void missingWeightsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(tmp));
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
  }

  @Test
  void truncatedHeaderNamesTheFile() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000);
    Files.write(tmp.resolve("model.safetensors"), b.array());
    var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(tmp));
    assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("header length"), e.getMessage());
  }

  @Test
  void offsetsThatDisagreeWithTheShapeNameTheTensor() throws IOException {
    writeRaw(tmp.resolve("model.safetensors"),
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 24);
    var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(tmp));
    assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("needs 24"), e.getMessage());
  }

  @Test
  void unsupportedDtypeNamesTheTensor() throws IOException {
    writeRaw(tmp.resolve("model.safetensors"),
        "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
    var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(tmp));
    assertTrue(e.getMessage().contains("tensor 'ids'") && e.getMessage().contains("I64"), e.getMessage());
  }

  @Test
  void schemaReportsMissingWrongShapeAndUnknownTensorsTogether() throws IOException {
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen2", c -> {});
    ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
    // Rewrite the checkpoint: drop one tensor, reshape another, add an unknown one.
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    new WeightSchema(config).expected().forEach((name, shape) -> {
      if (name.equals("model.layers.1.mlp.up_proj.weight")) return;
      long[] s = name.equals("model.norm.weight") ? new long[] {shape[0] + 1} : shape;
      tensors.add(new SafetensorsWriter.Tensor(name, s, t -> new float[(int) count(t.shape())]));
    });
    tensors.add(new SafetensorsWriter.Tensor("model.layers.0.mystery", new long[] {4}, t -> new float[4]));
    SafetensorsWriter.write(dir, tensors, DType.F32, Long.MAX_VALUE);
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      var e = assertThrows(IllegalArgumentException.class, () -> new WeightSchema(config).validate(ckpt));
      String m = e.getMessage();
      assertTrue(m.contains("3 problems"), m);
      assertTrue(m.contains("missing tensor 'model.layers.1.mlp.up_proj.weight'"), m);
      assertTrue(m.contains("model.safetensors: tensor 'model.norm.weight' has shape [65]"), m);
      assertTrue(m.contains("tensor 'model.layers.0.mystery' is not used"), m);
    }
  }

  @Test
  void tiedModelsMayCarryAnIgnoredLmHead() throws IOException {
    Path dir = TinyModels.write(tmp.resolve("m"), "qwen2", c -> c.addProperty("tie_word_embeddings", true));
    ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    new WeightSchema(config).expected().forEach((name, shape) ->
        tensors.add(new SafetensorsWriter.Tensor(name, shape, t -> new float[(int) count(t.shape())])));
    tensors.add(new SafetensorsWriter.Tensor("lm_head.weight", new long[] {300, 64}, t -> new float[300 * 64]));
    tensors.add(new SafetensorsWriter.Tensor("model.layers.0.self_attn.rotary_emb.inv_freq", new long[] {8},
        t -> new float[8]));
    SafetensorsWriter.write(dir, tensors, DType.F32, Long.MAX_VALUE);
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      assertDoesNotThrow(() -> new WeightSchema(config).validate(ckpt));
    }
  }

  @Test
  void indexPointingAtMissingShardNamesIt() throws IOException {
    Path dir = TinyModels.write(tmp.resolve("m"), "llama", c -> {}, DType.F32, 1, 30_000);
    Path shard = Files.list(dir).filter(p -> p.getFileName().toString().startsWith("model-00002")).findFirst().orElseThrow();
    Files.delete(shard);
    var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains(shard.getFileName().toString()), e.getMessage());
  }

  @Test
  void halfPrecisionConversionsAreExact() {
    assertEquals(1.0f, DType.f16ToFloat((short) 0x3c00));
    assertEquals(-2.5f, DType.f16ToFloat((short) 0xc100));
    assertEquals(65504f, DType.f16ToFloat((short) 0x7bff));
    assertEquals(0x1p-24f, DType.f16ToFloat((short) 0x0001));
    for (int bits = 0; bits < 0x10000; bits++) {
      float f = DType.f16ToFloat((short) bits);
      if (Float.isNaN(f)) continue;
      assertEquals((short) bits, DType.floatToF16(f), "f16 round trip of 0x" + Integer.toHexString(bits));
      float b = DType.bf16ToFloat((short) bits);
      if (!Float.isNaN(b)) assertEquals((short) bits, DType.floatToBf16(b), "bf16 round trip");
    }
    assertEquals((short) 0x3c00, DType.floatToF16(1.0004883f)); // halfway to the next half: ties to even
    assertEquals((short) 0x7c00, DType.floatToF16(1e6f));
  }

  private static long count(long[] shape) {
    long n = 1;
    for (long d : shape) n *= d;
    return n;
  }

  private static void writeRaw(Path file, String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Files.write(file, b.array());
  }
}
