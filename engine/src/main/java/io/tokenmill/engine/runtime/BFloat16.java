package io.tokenmill.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * bf16 arrays through DJL 0.36, which has no dtype code for bfloat16: {@code toType(BFLOAT16)} and
 * creating a BFLOAT16 array abort the JVM (its JNI maps dtype codes 0-8 only). libtorch itself has
 * bf16 tensors and, on CPUs with AVX-512 BF16, oneDNN GEMMs for them; DJL only needs a way to produce
 * one. This class loads a TorchScript module of a few methods — written here as TorchScript source and
 * packed into a module archive in memory, so no Python and no binary file is involved — whose methods
 * do the casts: fp32 → bf16 ({@link #cast}) and "cast, multiply, widen" ({@link #linear}). Arrays that
 * come back are ordinary DJL arrays whose {@code getDataType()} reads UNKNOWN; {@code toType(FLOAT32)},
 * views and ops on them work as usual.
 *
 * <p>The module holds no parameters, so one instance serves every device and thread.
 */
public final class BFloat16 {

  /** TorchScript dtype code of torch.bfloat16 (c10::ScalarType::BFloat16). */
  private static final int TORCH_BFLOAT16 = 15;
  /** TorchScript dtype code of torch.float32. */
  private static final int TORCH_FLOAT32 = 6;

  private static final String CLASS = "TokenmillBf16";

  /**
   * The module's source, as TorchScript serialises a scripted module: {@code cast} rounds to nearest-even
   * bf16; {@code linear} multiplies fp32 rows by a bf16 (out, in) weight with fp32 accumulation (oneDNN),
   * rounds the product to bf16 (what libtorch's bf16 GEMM returns) and widens it back to fp32;
   * {@code linear_add} adds an fp32 term (bias, residual) after widening.
   */
  private static final String SOURCE = String.join("\n",
      "class " + CLASS + "(Module):",
      "  __parameters__ = []",
      "  __buffers__ = []",
      "  training : bool",
      "  def forward(self: __torch__." + CLASS + ",",
      "    x: Tensor) -> Tensor:",
      "    return torch.to(x, " + TORCH_BFLOAT16 + ")",
      "  def linear(self: __torch__." + CLASS + ",",
      "    x: Tensor,",
      "    w: Tensor) -> Tensor:",
      "    y = torch.linear(torch.to(x, " + TORCH_BFLOAT16 + "), w)",
      "    return torch.to(y, " + TORCH_FLOAT32 + ")",
      "  def linear_add(self: __torch__." + CLASS + ",",
      "    x: Tensor,",
      "    w: Tensor,",
      "    add: Tensor) -> Tensor:",
      "    y = torch.linear(torch.to(x, " + TORCH_BFLOAT16 + "), w)",
      "    return torch.add(torch.to(y, " + TORCH_FLOAT32 + "), add)",
      "");

  private static volatile PtSymbolBlock module;

  private BFloat16() {}

  private static PtSymbolBlock module() {
    PtSymbolBlock m = module;
    if (m == null) {
      synchronized (BFloat16.class) {
        m = module;
        if (m == null) {
          NDManager owner = NDManager.newBaseManager(ai.djl.Device.cpu());
          owner.setName("tokenmill-bf16-module");
          try {
            m = JniUtils.loadModule((PtNDManager) owner, new ByteArrayInputStream(archive()), false, false);
          } catch (IOException e) {
            throw new UncheckedIOException("loading the bf16 TorchScript module", e);
          }
          module = m;
        }
      }
    }
    return m;
  }

  /** {@code x} rounded to bf16 (nearest even), a new array in {@code into}. */
  public static NDArray cast(NDArray x, NDManager into) {
    return call("forward", into, x);
  }

  /** {@code x·Wᵀ} with {@code w} a bf16 (out, in) array: x rounded to bf16, fp32 accumulation, fp32 result. */
  public static NDArray linear(NDArray x, NDArray w, NDManager into) {
    return call("linear", into, x, w);
  }

  /** {@link #linear} plus {@code add} (fp32, broadcastable to (N, out)), in one call. */
  public static NDArray linearAdd(NDArray x, NDArray w, NDArray add, NDManager into) {
    return call("linear_add", into, x, w, add);
  }

  private static NDArray call(String method, NDManager into, NDArray... args) {
    IValue[] in = new IValue[args.length];
    try {
      for (int i = 0; i < args.length; i++) in[i] = IValue.from((PtNDArray) args[i]);
      try (IValue out = IValueUtils.runMethod(module(), method, in)) {
        return out.toTensor((PtNDManager) into);
      }
    } finally {
      for (IValue v : in) if (v != null) v.close();
    }
  }

  /** The TorchScript module archive (a zip, entries stored), as {@code torch.jit.save} lays it out. */
  static byte[] archive() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      String root = "tokenmill_bf16/";
      stored(zip, root + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
      stored(zip, root + "data.pkl", modulePickle());
      stored(zip, root + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // protocol 2, empty tuple
      stored(zip, root + "code/__torch__.py", SOURCE.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Pickle (protocol 2) of an instance of {@link #CLASS} whose state is {@code {"training": True}}. */
  private static byte[] modulePickle() {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(0x80);
    p.write(2); // PROTO 2
    p.writeBytes(("c__torch__\n" + CLASS + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
    p.write(')'); // EMPTY_TUPLE
    p.write(0x81); // NEWOBJ
    p.write('}'); // EMPTY_DICT
    byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
    p.write('X'); // BINUNICODE, 4-byte little-endian length
    p.write(key.length);
    p.write(0);
    p.write(0);
    p.write(0);
    p.writeBytes(key);
    p.write(0x88); // NEWTRUE
    p.write('s'); // SETITEM
    p.write('b'); // BUILD
    p.write('.'); // STOP
    return p.toByteArray();
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }
}
