package io.tokenmill.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The kernels' per-thread output buffers hold what was asked whatever the size: a vocab of 262 floats × 4 rows
 * is 4,192 bytes, not a multiple of 64, and a slice aligned at both ends once came back 32 bytes short.
 */
class ThreadBuffersTest {

  @Test
  void everySizeFitsAlignedAndGrowsOnlyWhenAsked() {
    ThreadLocal<ByteBuffer> slot = new ThreadLocal<>();
    ByteBuffer last = null;
    for (long bytes = 1; bytes < 20_000; bytes += 37) {
      ByteBuffer b = ThreadBuffers.atLeast(slot, bytes);
      assertTrue(b.capacity() >= bytes, bytes + " bytes asked, " + b.capacity() + " given");
      assertTrue(b.isDirect());
      assertEquals(ByteOrder.nativeOrder(), b.order());
      assertEquals(0, b.alignmentOffset(0, 64), "64-byte aligned");
      if (last != null && last.capacity() >= bytes) assertSame(last, b, "reused while big enough");
      last = b;
    }
  }
}
