package io.tokenmill.engine.weights;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tokenmill.engine.model.JsonFields;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, read through memory maps so no tensor or file size is limited by Java
 * arrays (2 GB). The header is validated before anything is mapped: its length, every entry's dtype,
 * shape and byte range (inside the file, matching the shape, not overlapping another entry).
 *
 * <p>Format: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
 * then the data block; offsets are relative to the data block.
 */
public final class SafetensorsFile implements AutoCloseable {

  private static final long MAX_HEADER_BYTES = 100L << 20;
  /** Largest single mapping; bigger reads are split (MappedByteBuffer is int-indexed). */
  private static final long MAX_MAP_BYTES = 1L << 30;

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorEntry> entries;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorEntry> entries,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.entries = entries;
    this.metadata = metadata;
  }

  public static SafetensorsFile open(Path path) {
    FileChannel channel = null;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
      long size = channel.size();
      if (size < 8) {
        throw new IllegalArgumentException(path + ": too short to be a safetensors file (" + size + " bytes)");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lenBuf, 0);
      long headerLen = lenBuf.getLong(0);
      if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
        throw new IllegalArgumentException(path + ": invalid safetensors header length " + headerLen
            + " (file has " + size + " bytes)");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(channel, header, 8);
      String json = new String(header.array(), StandardCharsets.UTF_8);
      long dataStart = 8 + headerLen;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, TensorEntry> entries = parseHeader(path, json, size - dataStart, metadata);
      return new SafetensorsFile(path, channel, dataStart, entries, metadata);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static Map<String, TensorEntry> parseHeader(Path path, String json, long dataBytes,
      Map<String, String> metadata) {
    String file = String.valueOf(path.getFileName());
    JsonObject root;
    try {
      root = JsonFields.object(JsonFields.parse(json), "the safetensors header");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": safetensors header: " + e.getMessage());
    }
    Map<String, TensorEntry> entries = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : root.entrySet()) {
      String name = e.getKey();
      if (name.equals("__metadata__")) {
        readMetadata(file, e.getValue(), metadata);
        continue;
      }
      try {
        entries.put(name, parseEntry(path, name, e.getValue(), dataBytes));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(file + ": tensor '" + name + "': " + ex.getMessage());
      }
    }
    List<TensorEntry> byOffset = new ArrayList<>(entries.values());
    byOffset.sort(Comparator.comparingLong(TensorEntry::begin));
    for (int i = 1; i < byOffset.size(); i++) {
      if (byOffset.get(i).begin() < byOffset.get(i - 1).end()) {
        throw new IllegalArgumentException(byOffset.get(i).where() + ": overlaps tensor '"
            + byOffset.get(i - 1).name() + "'");
      }
    }
    return Collections.unmodifiableMap(entries);
  }

  /** {@code __metadata__} is a map of strings to strings in the format; anything else is refused. */
  private static void readMetadata(String file, JsonElement value, Map<String, String> metadata) {
    try {
      for (Map.Entry<String, JsonElement> m : JsonFields.object(value, "__metadata__").entrySet()) {
        metadata.put(m.getKey(), JsonFields.string(m.getValue(), "__metadata__ value '" + m.getKey() + "'"));
      }
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(file + ": " + ex.getMessage());
    }
  }

  /** One tensor's {dtype, shape, data_offsets}, checked against the data block; errors name the field. */
  private static TensorEntry parseEntry(Path path, String name, JsonElement value, long dataBytes) {
    JsonObject t = JsonFields.object(value, "the entry");
    DType dtype = DType.parse(JsonFields.string(t.get("dtype"), "dtype"));
    var shapeJson = JsonFields.array(t.get("shape"), "shape");
    long[] shape = new long[shapeJson.size()];
    long elements = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = JsonFields.longValue(shapeJson.get(i), "shape[" + i + "]");
      if (shape[i] < 0) {
        throw new IllegalArgumentException("shape " + JsonFields.shown(shapeJson) + " has a negative dimension");
      }
      try {
        elements = Math.multiplyExact(elements, shape[i]);
      } catch (ArithmeticException overflow) {
        throw new IllegalArgumentException("shape " + JsonFields.shown(shapeJson) + " has more elements than a long holds");
      }
    }
    var offsets = JsonFields.array(t.get("data_offsets"), "data_offsets");
    if (offsets.size() != 2) {
      throw new IllegalArgumentException("data_offsets must be [begin, end], got " + JsonFields.shown(offsets));
    }
    long begin = JsonFields.longValue(offsets.get(0), "data_offsets[0]");
    long end = JsonFields.longValue(offsets.get(1), "data_offsets[1]");
    if (begin < 0 || end < begin || end > dataBytes) {
      throw new IllegalArgumentException("data_offsets [" + begin + ", " + end + ") outside the data block of "
          + dataBytes + " bytes");
    }
    if (elements > Long.MAX_VALUE / dtype.bytes() || end - begin != elements * dtype.bytes()) {
      throw new IllegalArgumentException("data_offsets span " + (end - begin) + " bytes but shape "
          + java.util.Arrays.toString(shape) + " of " + dtype + " needs "
          + (elements > Long.MAX_VALUE / dtype.bytes() ? "more than a long counts" : elements * dtype.bytes()));
    }
    return new TensorEntry(name, dtype, shape, begin, end, path);
  }

  public Path path() {
    return path;
  }

  public Map<String, TensorEntry> entries() {
    return entries;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * Reads elements [from, from + count) of a tensor, converted to {@code target}, into {@code dest}
   * (little-endian, written at its position, which advances). Large ranges are mapped in pieces.
   */
  public void read(TensorEntry entry, long from, long count, DType target, ByteBuffer dest) {
    if (from < 0 || count < 0 || from + count > entry.elementCount()) {
      throw new IndexOutOfBoundsException(entry.where() + ": elements [" + from + ", " + (from + count) + ")");
    }
    int srcBytes = entry.dtype().bytes();
    long perPiece = MAX_MAP_BYTES / srcBytes;
    ByteBuffer out = dest.order(ByteOrder.LITTLE_ENDIAN);
    try {
      for (long done = 0; done < count; done += perPiece) {
        long n = Math.min(perPiece, count - done);
        long offset = dataStart + entry.begin() + (from + done) * srcBytes;
        ByteBuffer src = channel.map(FileChannel.MapMode.READ_ONLY, offset, n * srcBytes)
            .order(ByteOrder.LITTLE_ENDIAN);
        convert(entry.dtype(), src, target, out, (int) n);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(entry.where() + ": cannot map: " + e.getMessage(), e);
    }
  }

  /** Reads a whole (small) tensor as floats; for norms, biases and tests. */
  public float[] readFloats(TensorEntry entry) {
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(entry.elementCount() * 4)).order(ByteOrder.LITTLE_ENDIAN);
    read(entry, 0, entry.elementCount(), DType.F32, buf);
    float[] out = new float[(int) entry.elementCount()];
    buf.flip();
    buf.asFloatBuffer().get(out);
    return out;
  }

  private static void convert(DType from, ByteBuffer src, DType to, ByteBuffer out, int n) {
    if (from == to) {
      ByteBuffer slice = src.duplicate();
      slice.limit(n * from.bytes());
      out.put(slice);
      return;
    }
    for (int i = 0; i < n; i++) {
      float v = switch (from) {
        case F32 -> src.getFloat(i * 4);
        case F16 -> DType.f16ToFloat(src.getShort(i * 2));
        case BF16 -> DType.bf16ToFloat(src.getShort(i * 2));
      };
      switch (to) {
        case F32 -> out.putFloat(v);
        case F16 -> out.putShort(DType.floatToF16(v));
        case BF16 -> out.putShort(DType.floatToBf16(v));
      }
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) throw new IOException("unexpected end of file");
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing useful to do: the open already failed
    }
  }

  @Override
  public void close() {
    closeQuietly(channel);
  }
}
