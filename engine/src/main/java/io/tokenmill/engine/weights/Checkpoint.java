package io.tokenmill.engine.weights;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tokenmill.engine.model.JsonFields;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The weights of a HF model directory: {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Pickled checkpoints ({@code pytorch_model.bin}, {@code *.pt})
 * are refused: unpickling runs arbitrary code from the file.
 */
public final class Checkpoint implements AutoCloseable {

  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final Map<String, TensorEntry> tensors;
  private final Map<Path, SafetensorsFile> files;

  private Checkpoint(Map<String, TensorEntry> tensors, Map<Path, SafetensorsFile> files) {
    this.tensors = Collections.unmodifiableMap(tensors);
    this.files = files;
  }

  public static Checkpoint open(Path modelDir) {
    Path index = modelDir.resolve(INDEX_FILE);
    Path single = modelDir.resolve(SINGLE_FILE);
    if (Files.isRegularFile(index)) {
      return openSharded(modelDir, index);
    }
    if (Files.isRegularFile(single)) {
      Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
      SafetensorsFile f = SafetensorsFile.open(single);
      files.put(single, f);
      return new Checkpoint(new LinkedHashMap<>(f.entries()), files);
    }
    List<String> pickles = list(modelDir, n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth")
        || n.endsWith(".ckpt") || n.endsWith(".pkl"));
    if (!pickles.isEmpty()) {
      throw new IllegalArgumentException(modelDir + ": only pickled checkpoints found " + pickles
          + "; Tokenmill refuses them because loading a pickle can execute code embedded in the file. "
          + "Convert the model to safetensors (model.safetensors or sharded with " + INDEX_FILE + ").");
    }
    List<String> shards = list(modelDir, n -> n.endsWith(".safetensors"));
    throw new IllegalArgumentException(modelDir + ": no " + SINGLE_FILE + " or " + INDEX_FILE
        + (shards.isEmpty() ? "" : " (found shards " + shards + " without their index)"));
  }

  private static Checkpoint openSharded(Path dir, Path index) {
    JsonObject doc = JsonFields.readObject(index);
    JsonObject weightMap;
    try {
      weightMap = JsonFields.object(doc.get("weight_map"), "weight_map");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(index + ": " + e.getMessage());
    }
    Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
    Map<String, TensorEntry> tensors = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
        String shardName;
        try {
          shardName = JsonFields.string(e.getValue(), "weight_map['" + e.getKey() + "']");
        } catch (IllegalArgumentException bad) {
          throw new IllegalArgumentException(index + ": " + bad.getMessage());
        }
        Path file = dir.resolve(shardName).normalize();
        if (!file.startsWith(dir.normalize())) {
          throw new IllegalArgumentException(index + ": tensor '" + e.getKey() + "' points outside the model dir");
        }
        if (!Files.isRegularFile(file)) {
          throw new IllegalArgumentException(index + ": tensor '" + e.getKey() + "' maps to missing file " + file.getFileName());
        }
        SafetensorsFile f = files.computeIfAbsent(file, SafetensorsFile::open);
        TensorEntry entry = f.entries().get(e.getKey());
        if (entry == null) {
          throw new IllegalArgumentException(file.getFileName() + ": tensor '" + e.getKey() + "' listed in "
              + INDEX_FILE + " is not in the file");
        }
        tensors.put(e.getKey(), entry);
      }
      for (SafetensorsFile f : files.values()) {
        for (String name : f.entries().keySet()) {
          if (!tensors.containsKey(name) || !tensors.get(name).file().equals(f.path())) {
            throw new IllegalArgumentException(f.path().getFileName() + ": tensor '" + name
                + "' is not mapped to this file by " + INDEX_FILE);
          }
        }
      }
    } catch (RuntimeException e) {
      files.values().forEach(SafetensorsFile::close);
      throw e;
    }
    return new Checkpoint(tensors, files);
  }

  /** Every tensor by HF name, in file order. */
  public Map<String, TensorEntry> tensors() {
    return tensors;
  }

  public TensorEntry require(String name) {
    TensorEntry e = tensors.get(name);
    if (e == null) throw new IllegalArgumentException("checkpoint has no tensor '" + name + "'");
    return e;
  }

  public void read(TensorEntry entry, long from, long count, DType target, ByteBuffer dest) {
    files.get(entry.file()).read(entry, from, count, target, dest);
  }

  public float[] readFloats(TensorEntry entry) {
    return files.get(entry.file()).readFloats(entry);
  }

  /** Distinct dtypes stored, for reporting. */
  public Map<DType, Long> dtypeCounts() {
    Map<DType, Long> counts = new TreeMap<>();
    tensors.values().forEach(t -> counts.merge(t.dtype(), 1L, Long::sum));
    return counts;
  }

  private static List<String> list(Path dir, java.util.function.Predicate<String> nameMatches) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(nameMatches).sorted().toList();
    } catch (IOException e) {
      throw new IllegalArgumentException(dir + ": cannot list: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    files.values().forEach(SafetensorsFile::close);
  }
}
