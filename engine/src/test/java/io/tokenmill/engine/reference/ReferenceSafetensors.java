package io.tokenmill.engine.reference;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Minimal, independent reader of Hugging Face safetensors weights, decoding every tensor to double[].
 *
 * <p>File layout (https://github.com/huggingface/safetensors, "Format"):
 * <pre>
 *   bytes [0, 8)        : N, unsigned 64-bit little-endian = length of the JSON header
 *   bytes [8, 8 + N)    : UTF-8 JSON {tensorName: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}
 *   bytes [8 + N, EOF)  : data block; data_offsets are relative to the START OF THE DATA BLOCK, end exclusive
 * </pre>
 * Tensors are stored row-major (C order), little-endian. Supported dtypes: F64, F32, F16 (IEEE 754 binary16),
 * BF16 (the upper 16 bits of an IEEE binary32). Anything else fails loudly.
 *
 * <p>A model directory holds either {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json} whose {@code weight_map} maps tensor name to shard file name.
 * Whole files are read into memory: this is a test-only reference for tiny models.
 */
public final class ReferenceSafetensors {

    private final Map<String, double[]> tensors;
    private final Map<String, int[]> shapes;

    private ReferenceSafetensors(Map<String, double[]> tensors, Map<String, int[]> shapes) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.shapes = Collections.unmodifiableMap(shapes);
    }

    /** Loads all weights of a HF model directory (single file or sharded via the index). */
    public static ReferenceSafetensors load(Path modelDir) {
        Path single = modelDir.resolve("model.safetensors");
        Path index = modelDir.resolve("model.safetensors.index.json");
        Map<String, double[]> tensors = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        if (Files.exists(index)) {
            JsonObject weightMap = JsonParser.parseString(readString(index))
                    .getAsJsonObject().getAsJsonObject("weight_map");
            if (weightMap == null) {
                throw new IllegalArgumentException(index + " has no weight_map");
            }
            // Read each shard once; keep exactly the tensors the index assigns to it.
            Map<String, String> nameToFile = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
                nameToFile.put(e.getKey(), e.getValue().getAsString());
            }
            for (String file : new TreeSet<>(nameToFile.values())) {
                Map<String, double[]> shardTensors = new LinkedHashMap<>();
                Map<String, int[]> shardShapes = new LinkedHashMap<>();
                readFileInto(modelDir.resolve(file), shardTensors, shardShapes);
                for (Map.Entry<String, String> e : nameToFile.entrySet()) {
                    if (!e.getValue().equals(file)) {
                        continue;
                    }
                    String name = e.getKey();
                    if (!shardTensors.containsKey(name)) {
                        throw new IllegalArgumentException("index maps " + name + " to " + file + " but it is not there");
                    }
                    tensors.put(name, shardTensors.get(name));
                    shapes.put(name, shardShapes.get(name));
                }
            }
        } else if (Files.exists(single)) {
            readFileInto(single, tensors, shapes);
        } else {
            throw new IllegalArgumentException("no model.safetensors or model.safetensors.index.json in " + modelDir);
        }
        return new ReferenceSafetensors(tensors, shapes);
    }

    /** Reads one .safetensors file. */
    public static ReferenceSafetensors readFile(Path file) {
        Map<String, double[]> tensors = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        readFileInto(file, tensors, shapes);
        return new ReferenceSafetensors(tensors, shapes);
    }

    /** All tensors, row-major, decoded to double. */
    public Map<String, double[]> tensors() {
        return tensors;
    }

    /** Shapes of all tensors (an empty array for a scalar). */
    public Map<String, int[]> shapes() {
        return shapes;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor's data; throws if it is absent. */
    public double[] get(String name) {
        double[] t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("missing tensor: " + name);
        }
        return t;
    }

    /** The tensor's shape; throws if it is absent. */
    public int[] shape(String name) {
        int[] s = shapes.get(name);
        if (s == null) {
            throw new IllegalArgumentException("missing tensor: " + name);
        }
        return s.clone();
    }

    private static void readFileInto(Path file, Map<String, double[]> tensors, Map<String, int[]> shapes) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (bytes.length < 8) {
            throw new IllegalArgumentException(file + ": shorter than the 8-byte header length");
        }
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLen < 0 || 8 + headerLen > bytes.length) {
            throw new IllegalArgumentException(file + ": bad header length " + headerLen);
        }
        int dataStart = 8 + (int) headerLen;
        String headerJson = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        JsonObject header = JsonParser.parseString(headerJson).getAsJsonObject();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            JsonObject info = e.getValue().getAsJsonObject();
            String dtype = info.get("dtype").getAsString();
            var shapeJson = info.getAsJsonArray("shape");
            int[] shape = new int[shapeJson.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsInt();
                count *= shape[i];
            }
            var offsets = info.getAsJsonArray("data_offsets");
            long begin = offsets.get(0).getAsLong();
            long end = offsets.get(1).getAsLong();
            int width = bytesPerElement(dtype, name);
            if (end < begin || end - begin != count * width || dataStart + end > bytes.length) {
                throw new IllegalArgumentException(file + ": tensor " + name + " has inconsistent data_offsets ["
                        + begin + ", " + end + ") for dtype " + dtype + " and " + count + " elements");
            }
            tensors.put(name, decode(bytes, dataStart + (int) begin, (int) count, dtype));
            shapes.put(name, shape);
        }
    }

    private static int bytesPerElement(String dtype, String name) {
        switch (dtype) {
            case "F64": return 8;
            case "F32": return 4;
            case "F16":
            case "BF16": return 2;
            default: throw new IllegalArgumentException("tensor " + name + ": unsupported dtype " + dtype);
        }
    }

    private static double[] decode(byte[] bytes, int start, int count, String dtype) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[count];
        for (int i = 0; i < count; i++) {
            switch (dtype) {
                case "F64": out[i] = buf.getDouble(start + 8 * i); break;
                case "F32": out[i] = buf.getFloat(start + 4 * i); break;
                case "F16": out[i] = decodeF16(buf.getShort(start + 2 * i) & 0xFFFF); break;
                case "BF16": out[i] = decodeBF16(buf.getShort(start + 2 * i) & 0xFFFF); break;
                default: throw new IllegalStateException(dtype);
            }
        }
        return out;
    }

    /**
     * IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits. Exact:
     * exponent 0 = zero/subnormal m * 2^-24; exponent 31 = inf/NaN; otherwise (1024 + m) * 2^(e - 25).
     */
    public static double decodeF16(int bits) {
        int sign = (bits >>> 15) & 0x1;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        double magnitude;
        if (exponent == 0) {
            magnitude = Math.scalb((double) mantissa, -24);
        } else if (exponent == 31) {
            magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            magnitude = Math.scalb((double) (1024 + mantissa), exponent - 25);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    /** bfloat16: the upper 16 bits of an IEEE binary32; decode by shifting back into place. */
    public static double decodeBF16(int bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }
}
