package io.tokenmill.engine.weights;

import java.nio.file.Path;
import java.util.Arrays;

/** One tensor's header entry in a safetensors file: where its bytes are and what they mean. */
public record TensorEntry(String name, DType dtype, long[] shape, long begin, long end, Path file) {

  public TensorEntry {
    shape = shape.clone();
  }

  public long elementCount() {
    long n = 1;
    for (long d : shape) n = Math.multiplyExact(n, d);
    return n;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** "file.safetensors: tensor 'name'" — the prefix of every error about this tensor. */
  public String where() {
    return file.getFileName() + ": tensor '" + name + "'";
  }

  @Override
  public String toString() {
    return where() + " " + dtype + Arrays.toString(shape);
  }
}
