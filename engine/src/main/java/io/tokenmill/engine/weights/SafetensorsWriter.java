package io.tokenmill.engine.weights;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files, streaming one tensor at a time so multi-GB random models need no more
 * heap than their largest tensor. Shards (with {@code model.safetensors.index.json}) when the total
 * exceeds {@code maxShardBytes}. Files are written to a temporary name and moved into place, so a
 * crash never leaves a half-written checkpoint under the real name.
 */
public final class SafetensorsWriter {

  /** One tensor to write: its HF name, shape, and a producer of its float values. */
  public record Tensor(String name, long[] shape, ValueSource values) {
    long count() {
      long n = 1;
      for (long d : shape) n *= d;
      return n;
    }
  }

  /** Produces a tensor's values in row-major order. */
  @FunctionalInterface
  public interface ValueSource {
    float[] values(Tensor tensor);
  }

  private SafetensorsWriter() {}

  /** Writes {@code model.safetensors}, or shards + index when larger than {@code maxShardBytes}. */
  public static List<Path> write(Path dir, List<Tensor> tensors, DType dtype, long maxShardBytes) throws IOException {
    List<List<Tensor>> shards = new ArrayList<>();
    List<Tensor> current = new ArrayList<>();
    long currentBytes = 0;
    long total = 0;
    for (Tensor t : tensors) {
      long bytes = t.count() * dtype.bytes();
      if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        currentBytes = 0;
      }
      current.add(t);
      currentBytes += bytes;
      total += bytes;
    }
    shards.add(current);
    if (shards.size() == 1) {
      Path file = dir.resolve(Checkpoint.SINGLE_FILE);
      writeFile(file, tensors, dtype);
      return List.of(file);
    }
    List<Path> files = new ArrayList<>();
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      Path file = dir.resolve(name);
      writeFile(file, shards.get(i), dtype);
      shards.get(i).forEach(t -> weightMap.put(t.name(), name));
      files.add(file);
    }
    JsonObject index = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("total_size", total);
    index.add("metadata", meta);
    JsonObject map = new JsonObject();
    weightMap.forEach(map::addProperty);
    index.add("weight_map", map);
    Path indexFile = dir.resolve(Checkpoint.INDEX_FILE);
    Files.writeString(indexFile, new GsonBuilder().setPrettyPrinting().create().toJson(index));
    files.add(indexFile);
    return files;
  }

  /** Writes one safetensors file holding {@code tensors} in order. */
  public static void writeFile(Path file, List<Tensor> tensors, DType dtype) throws IOException {
    JsonObject header = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("format", "pt");
    header.add("__metadata__", meta);
    long offset = 0;
    for (Tensor t : tensors) {
      JsonObject e = new JsonObject();
      e.addProperty("dtype", dtype.name());
      JsonArray shape = new JsonArray();
      for (long d : t.shape()) shape.add(d);
      e.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offset += t.count() * dtype.bytes();
      offsets.add(offset);
      e.add("data_offsets", offsets);
      header.add(t.name(), e);
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // the data block starts 8-byte aligned, as HF writes it
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
      out.write(len.array());
      out.write(json);
      for (int i = json.length; i < padded; i++) out.write(' ');
      for (Tensor t : tensors) {
        float[] v = t.values().values(t);
        if (v.length != t.count()) {
          throw new IllegalArgumentException("tensor '" + t.name() + "': source gave " + v.length
              + " values for " + t.count() + " elements");
        }
        writeValues(out, v, dtype);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeValues(OutputStream out, float[] v, DType dtype) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      if (buf.remaining() < 4) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      switch (dtype) {
        case F32 -> buf.putFloat(f);
        case F16 -> buf.putShort(DType.floatToF16(f));
        case BF16 -> buf.putShort(DType.floatToBf16(f));
      }
    }
    out.write(buf.array(), 0, buf.position());
  }
}
