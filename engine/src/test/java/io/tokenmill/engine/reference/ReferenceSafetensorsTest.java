package io.tokenmill.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** (e) F16 / BF16 / F32 decoding on known bit patterns, file layout, and (g) sharded loading of raw tensors. */
class ReferenceSafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void f16KnownBitPatterns() {
        assertEquals(1.0, ReferenceSafetensors.decodeF16(0x3C00));
        assertEquals(-2.5, ReferenceSafetensors.decodeF16(0xC100));
        assertEquals(Math.pow(2, -24), ReferenceSafetensors.decodeF16(0x0001));          // smallest subnormal
        assertEquals(1023 * Math.pow(2, -24), ReferenceSafetensors.decodeF16(0x03FF));   // largest subnormal
        assertEquals(Math.pow(2, -14), ReferenceSafetensors.decodeF16(0x0400));          // smallest normal
        assertEquals(65504.0, ReferenceSafetensors.decodeF16(0x7BFF));                   // largest finite
        assertEquals(0.333251953125, ReferenceSafetensors.decodeF16(0x3555));            // nearest half to 1/3
        assertEquals(Double.doubleToRawLongBits(-0.0),
                Double.doubleToRawLongBits(ReferenceSafetensors.decodeF16(0x8000)));
        assertEquals(Double.POSITIVE_INFINITY, ReferenceSafetensors.decodeF16(0x7C00));
        assertEquals(Double.NEGATIVE_INFINITY, ReferenceSafetensors.decodeF16(0xFC00));
        assertTrue(Double.isNaN(ReferenceSafetensors.decodeF16(0x7E00)));
    }

    @Test
    void bf16KnownBitPatterns() {
        assertEquals(1.0, ReferenceSafetensors.decodeBF16(0x3F80));
        assertEquals(-2.5, ReferenceSafetensors.decodeBF16(0xC020));
        assertEquals(Math.pow(2, -133), ReferenceSafetensors.decodeBF16(0x0001));        // smallest subnormal
        assertEquals(3.3895313892515355E38, ReferenceSafetensors.decodeBF16(0x7F7F));    // largest finite
        assertEquals(0.333984375, ReferenceSafetensors.decodeBF16(0x3EAB));
        assertEquals(Double.NEGATIVE_INFINITY, ReferenceSafetensors.decodeBF16(0xFF80));
    }

    @Test
    void readsRawF16AndBf16TensorsFromAFile() throws IOException {
        Path file = dir.resolve("raw.safetensors");
        new TinySafetensorsWriter()
                .addRaw("half", "F16", new int[] {2, 2}, TinySafetensorsWriter.rawShorts(0x3C00, 0xC100, 0x0001, 0x7BFF))
                .addRaw("brain", "BF16", new int[] {3}, TinySafetensorsWriter.rawShorts(0x3F80, 0xC020, 0x0000))
                .add("single", "F32", new int[] {}, new float[] {0.1f})
                .write(file);
        ReferenceSafetensors st = ReferenceSafetensors.readFile(file);
        assertArrayEquals(new double[] {1.0, -2.5, Math.pow(2, -24), 65504.0}, st.get("half"));
        assertArrayEquals(new int[] {2, 2}, st.shape("half"));
        assertArrayEquals(new double[] {1.0, -2.5, 0.0}, st.get("brain"));
        assertArrayEquals(new double[] {(double) 0.1f}, st.get("single"));  // F32 widened exactly
        assertArrayEquals(new int[] {}, st.shape("single"));
        assertEquals(3, st.tensors().size(), "__metadata__ must not be read as a tensor");
        assertThrows(IllegalArgumentException.class, () -> st.get("absent"));
    }

    @Test
    void sameValuesDecodeIdenticallyFromF32Bf16AndF16() throws IOException {
        float[] values = {0.5f, -0.75f, 0.01171875f, 1.5f, -255f / 256f, 0f};
        double[][] decoded = new double[3][];
        String[] dtypes = {"F32", "BF16", "F16"};
        for (int d = 0; d < 3; d++) {
            Path file = dir.resolve(dtypes[d] + ".safetensors");
            new TinySafetensorsWriter().add("w", dtypes[d], new int[] {2, 3}, values).write(file);
            decoded[d] = ReferenceSafetensors.readFile(file).get("w");
        }
        for (int i = 0; i < values.length; i++) {
            assertEquals(values[i], decoded[0][i]);
        }
        assertArrayEquals(decoded[0], decoded[1]);
        assertArrayEquals(decoded[0], decoded[2]);
    }

    @Test
    void dataOffsetsAreRelativeToTheDataBlock() throws IOException {
        // Hand-built file: header length N, then JSON, then data; second tensor starts at data offset 4.
        String header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).putFloat(7f).putFloat(-3f);
        Path file = dir.resolve("hand.safetensors");
        Files.write(file, buf.array());
        ReferenceSafetensors st = ReferenceSafetensors.readFile(file);
        assertArrayEquals(new double[] {7.0}, st.get("a"));
        assertArrayEquals(new double[] {-3.0}, st.get("b"));
    }

    @Test
    void inconsistentOffsetsFailLoudly() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).putFloat(1f).putFloat(2f);
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, buf.array());
        assertThrows(IllegalArgumentException.class, () -> ReferenceSafetensors.readFile(file));
    }

    @Test
    void unsupportedDtypeFailsLoudly() throws IOException {
        Path file = dir.resolve("i8.safetensors");
        new TinySafetensorsWriter().addRaw("a", "I8", new int[] {2}, new byte[] {1, 2}).write(file);
        assertThrows(IllegalArgumentException.class, () -> ReferenceSafetensors.readFile(file));
    }

    @Test
    void shardedIndexLoadsTheSameTensorsAsASingleFile() throws IOException {
        TinyModel m = TinyModel.of("qwen2", 11, 8, 12, 2, 2, 1, 4, false, false, new Random(3));
        ReferenceSafetensors single = ReferenceSafetensors.load(m.write(dir.resolve("single"), "F32"));
        ReferenceSafetensors sharded = ReferenceSafetensors.load(m.writeSharded(dir.resolve("sharded"), 3));
        assertEquals(single.tensors().keySet(), sharded.tensors().keySet());
        for (String name : single.tensors().keySet()) {
            assertArrayEquals(single.get(name), sharded.get(name), name);
            assertArrayEquals(single.shape(name), sharded.shape(name), name);
        }
        assertTrue(Files.exists(dir.resolve("sharded/model-00003-of-00003.safetensors")));
    }

    @Test
    void missingWeightsFailLoudly() {
        assertThrows(IllegalArgumentException.class, () -> ReferenceSafetensors.load(dir));
    }
}
