package io.tokenmill.engine.weights;

import java.util.Locale;

/**
 * Safetensors element types Tokenmill reads and writes, with exact scalar conversions. BF16 never
 * reaches DJL (its BFLOAT16 arrays abort the JVM in 0.36): it is widened here, in Java.
 */
public enum DType {
  F32(4),
  F16(2),
  BF16(2);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /** Parses a safetensors dtype string; the caller adds the file and tensor to the message. */
  public static DType parse(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("dtype " + name + " is not supported (F32, F16 and BF16 are)");
    }
  }

  /** bf16 is the top half of an IEEE float32: widening is a shift, and exact. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /** Round-to-nearest-even narrowing to bf16 (NaN kept quiet). */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** Exact IEEE half → float, subnormals included. */
  public static float f16ToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant * 0x1p-24f; // subnormal: mant * 2^-24
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** float → IEEE half, round to nearest even, overflow to infinity. */
  public static short floatToF16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7fffffff;
    if (abs > 0x7f800000) {
      return (short) (sign | 0x7e00);
    }
    if (abs >= 0x477ff000) { // rounds to >= 65520: infinity
      return (short) (sign | 0x7c00);
    }
    if (abs < 0x38800000) { // below the smallest normal half (2^-14): subnormal or zero
      float magnitude = Float.intBitsToFloat(abs);
      int mant = Math.round(magnitude * 0x1p24f); // ties: Math.round rounds half up; fix to even below
      float exact = magnitude * 0x1p24f;
      if (exact - Math.floor(exact) == 0.5 && (mant & 1) == 1) {
        mant -= 1;
      }
      return (short) (sign | mant);
    }
    int exp = (abs >>> 23) - 112;
    int mant = abs & 0x7fffff;
    int half = (exp << 10) | (mant >>> 13);
    int rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }
}
