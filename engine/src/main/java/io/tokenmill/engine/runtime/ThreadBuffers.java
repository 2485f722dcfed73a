package io.tokenmill.engine.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Direct buffers the native kernels write into, one per thread and use, grown on demand and reused. */
final class ThreadBuffers {

  private ThreadBuffers() {}

  /** This thread's buffer in {@code slot}, at least {@code bytes} long, 64-byte aligned, native order. */
  static ByteBuffer atLeast(ThreadLocal<ByteBuffer> slot, long bytes) {
    ByteBuffer buf = slot.get();
    if (buf == null || buf.capacity() < bytes) {
      // alignedSlice rounds the end down to a multiple of 64 too: size is rounded up first, so that the slice
      // holds it wherever the allocation starts (a 4,192-byte request otherwise got 4,160 bytes).
      long size = (Math.max(bytes, buf == null ? 0 : 2L * buf.capacity()) + 63) & ~63L;
      buf = ByteBuffer.allocateDirect((int) Math.min(Integer.MAX_VALUE - 64, size) + 64).alignedSlice(64)
          .order(ByteOrder.nativeOrder());
      slot.set(buf);
    }
    return buf;
  }
}
