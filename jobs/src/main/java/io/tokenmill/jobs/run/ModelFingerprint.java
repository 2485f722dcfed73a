package io.tokenmill.jobs.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A cheap fingerprint of a Hugging Face model directory, one entry per file that decides what the model
 * generates, for {@link RunIdentity}. Read on the driver in well under a second even for multi-GB weights:
 *
 * <ul>
 *   <li>{@code *.json}, {@code *.jinja}, {@code *.txt}, {@code *.model} (config, generation config, tokenizer,
 *       chat template, merges): SHA-256 of the whole file (files over 64 MiB: as for weights below).
 *   <li>{@code *.safetensors}: SHA-256 over the file size, the header (every tensor's name, dtype, shape and
 *       offsets) and 16 evenly spaced 4 KiB samples of the tensor data. A retrained model with the same shapes
 *       differs in the samples; an edit confined to bytes outside the samples is not seen.
 *   <li>Other files (README, images, pickled checkpoints the loader refuses) are not part of it.
 * </ul>
 *
 * Modification times and the directory's path are deliberately left out: a copied or moved model with the
 * same content has the same fingerprint.
 */
public final class ModelFingerprint {

  static final int SAMPLES = 16;
  static final int SAMPLE_BYTES = 4096;
  private static final long WHOLE_FILE_LIMIT = 64L << 20;

  private ModelFingerprint() {}

  /** File name → {@code sha256:<first 16 hex digits>}, sorted by name. */
  public static Map<String, String> of(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      String name = f.getFileName().toString();
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.endsWith(".safetensors")) {
        out.put(name, safetensors(f));
      } else if (lower.endsWith(".json") || lower.endsWith(".jinja") || lower.endsWith(".txt")
          || lower.endsWith(".model")) {
        out.put(name, Files.size(f) <= WHOLE_FILE_LIMIT ? hex(digest().digest(Files.readAllBytes(f))) : sampled(f, 0));
      }
    }
    return out;
  }

  private static String safetensors(Path f) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) return sampled(f, 0); // not loadable anyway; the loader names the problem
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0);
      long headerLength = len.getLong(0);
      if (headerLength < 0 || headerLength > size - 8) return sampled(f, 0);
      return sampled(f, 8 + headerLength);
    }
  }

  /** Size, the first {@code headerEnd} bytes whole, then {@link #SAMPLES} samples of the rest. */
  private static String sampled(Path f, long headerEnd) throws IOException {
    MessageDigest d = digest();
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      long size = ch.size();
      d.update(ByteBuffer.allocate(8).putLong(0, size));
      ByteBuffer header = ByteBuffer.allocate((int) Math.min(headerEnd, Integer.MAX_VALUE - 8));
      readFully(ch, header, 0);
      d.update(header.flip());
      long data = size - headerEnd;
      ByteBuffer sample = ByteBuffer.allocate(SAMPLE_BYTES);
      for (int i = 0; i < SAMPLES && data > 0; i++) {
        long at = headerEnd + (data - Math.min(data, SAMPLE_BYTES)) * i / Math.max(1, SAMPLES - 1);
        sample.clear().limit((int) Math.min(SAMPLE_BYTES, data));
        readFully(ch, sample, at);
        d.update(sample.flip());
      }
    }
    return hex(d.digest());
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, at);
      if (n < 0) break;
      at += n;
    }
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] digest) {
    return "sha256:" + HexFormat.of().formatHex(digest, 0, 8);
  }
}
