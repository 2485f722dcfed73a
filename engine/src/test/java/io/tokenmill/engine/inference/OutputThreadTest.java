package io.tokenmill.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.sampling.SamplingParams;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Results and listeners run on the output processor's thread, off the step loop: the engine keeps
 * stepping while a listener is busy (when listeners ran inside the step, a listener waiting for steps
 * waited forever), and close() delivers every result handed over before it returns.
 */
class OutputThreadTest {

  @Test
  void aWaitingListenerDoesNotStallTheStepLoop() throws Exception {
    try (LoadedModel m = LoadedModel.open(LoadedModelTest.TINY, ComputeDevice.cpu(), LoadedModelTest.small())) {
      Engine e = m.engine();
      AtomicReference<String> seenBy = new AtomicReference<>();
      AtomicReference<Long> stepsWhileWaiting = new AtomicReference<>();
      RequestHandle first = e.submit(new GenerationRequest("short", new int[] {259, 60, 61},
          SamplingParams.builder().optTemperature(0).optMaxNewTokens(2).optIgnoreEos(true).build()), r -> {
            seenBy.set(Thread.currentThread().getName());
            // Holds the output thread until the engine has taken 30 more steps for the long request.
            long start = e.metrics().steps();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            try {
              while (e.metrics().steps() < start + 30 && System.nanoTime() < deadline) Thread.sleep(1);
            } catch (InterruptedException ex) {
              Thread.currentThread().interrupt();
            }
            stepsWhileWaiting.set(e.metrics().steps() - start);
          });
      RequestHandle second = e.submit(new GenerationRequest("long", new int[] {259, 70, 71},
          SamplingParams.builder().optTemperature(0).optMaxNewTokens(200).optIgnoreEos(true).build()));
      assertEquals(FinishReason.LENGTH, first.results().get(90, TimeUnit.SECONDS).get(0).finishReason());
      assertTrue(stepsWhileWaiting.get() >= 30, "the engine stalled behind a listener: " + stepsWhileWaiting.get());
      assertTrue(seenBy.get().startsWith("tokenmill-output-"), seenBy.get());
      assertEquals(200, second.results().get(90, TimeUnit.SECONDS).get(0).outputIds().length);
    }
  }

  @Test
  void closeDeliversEveryResultItHandedOver() throws Exception {
    LoadedModel m = LoadedModel.open(LoadedModelTest.TINY, ComputeDevice.cpu(), LoadedModelTest.small());
    RequestHandle h;
    try {
      h = m.engine().submit(new GenerationRequest("q", new int[] {259, 60, 61},
          SamplingParams.builder().optTemperature(0).optMaxNewTokens(500).optIgnoreEos(true).build()));
      while (m.engine().metrics().steps() < 2) Thread.sleep(1);
    } finally {
      m.close();
    }
    assertTrue(h.results().isDone(), "close() returned before the request's result was delivered");
    GenerationResult r = h.results().get().get(0);
    assertEquals(FinishReason.ERROR, r.finishReason());
    assertEquals("engine closed", r.error());
  }
}
