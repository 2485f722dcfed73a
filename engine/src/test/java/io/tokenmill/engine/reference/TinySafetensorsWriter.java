package io.tokenmill.engine.reference;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test-only writer of small safetensors files, so tests can build tiny models by hand. Encoders are exact
 * and refuse values the target dtype cannot represent exactly (tests pick representable values).
 */
public final class TinySafetensorsWriter {

    /** One tensor to write: its dtype, shape and already-encoded little-endian bytes. */
    public record Entry(String dtype, int[] shape, byte[] raw) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public TinySafetensorsWriter add(String name, String dtype, int[] shape, float[] values) {
        return addRaw(name, dtype, shape, encode(dtype, values));
    }

    public TinySafetensorsWriter addRaw(String name, String dtype, int[] shape, byte[] raw) {
        entries.put(name, new Entry(dtype, shape.clone(), raw));
        return this;
    }

    /** Writes header (padded with spaces to a multiple of 8, as the reference implementation does) and data. */
    public void write(Path file) throws IOException {
        JsonObject header = new JsonObject();
        JsonObject metadata = new JsonObject();
        metadata.addProperty("format", "pt");
        header.add("__metadata__", metadata);
        long offset = 0;
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry t = e.getValue();
            JsonObject info = new JsonObject();
            info.addProperty("dtype", t.dtype());
            JsonArray shape = new JsonArray();
            for (int s : t.shape()) {
                shape.add(s);
            }
            info.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + t.raw().length);
            info.add("data_offsets", offsets);
            header.add(e.getKey(), info);
            data.write(t.raw());
            offset += t.raw().length;
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(headerBytes);
        for (int i = headerBytes.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        out.put(data.toByteArray());
        Files.write(file, out.array());
    }

    public static byte[] encode(String dtype, float[] values) {
        int width = dtype.equals("F32") ? 4 : 2;
        ByteBuffer buf = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case "F32" -> buf.putFloat(v);
                case "BF16" -> buf.putShort((short) toBf16Exact(v));
                case "F16" -> buf.putShort((short) toF16Exact(v));
                default -> throw new IllegalArgumentException(dtype);
            }
        }
        return buf.array();
    }

    /** Little-endian bytes of raw 16-bit patterns. */
    public static byte[] rawShorts(int... bits) {
        ByteBuffer buf = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int b : bits) {
            buf.putShort((short) b);
        }
        return buf.array();
    }

    public static int toBf16Exact(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0xFFFF) != 0) {
            throw new IllegalArgumentException(v + " is not exactly representable in BF16");
        }
        return bits >>> 16;
    }

    public static int toF16Exact(float v) {
        int sign = (Float.floatToRawIntBits(v) >>> 31) << 15;
        double a = Math.abs((double) v);
        if (a == 0.0) {
            return sign;
        }
        int e = Math.getExponent(a);
        double mantissa;
        int exponentField;
        if (e < -14) {                       // subnormal: a = m * 2^-24
            mantissa = a * Math.pow(2, 24);
            exponentField = 0;
        } else {                             // normal: a = (1 + m/1024) * 2^e
            mantissa = (a / Math.pow(2, e) - 1.0) * 1024.0;
            exponentField = e + 15;
        }
        if (mantissa != Math.rint(mantissa) || mantissa >= 1024 || exponentField > 30) {
            throw new IllegalArgumentException(v + " is not exactly representable in F16");
        }
        return sign | (exponentField << 10) | (int) mantissa;
    }
}
