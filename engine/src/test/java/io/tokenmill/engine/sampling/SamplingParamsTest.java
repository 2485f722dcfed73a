package io.tokenmill.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Defaults, builder round trip, greedy detection and the exact validation messages. */
class SamplingParamsTest {

  @Test
  void defaultsAreOffExceptTemperatureOne() {
    SamplingParams p = SamplingParams.builder().build();
    assertEquals(1.0, p.temperature());
    assertEquals(0, p.topK());
    assertEquals(1.0, p.topP());
    assertEquals(0.0, p.minP());
    assertEquals(1.0, p.repetitionPenalty());
    assertEquals(0.0, p.presencePenalty());
    assertEquals(0.0, p.frequencyPenalty());
    assertEquals(0L, p.seed());
    assertEquals(1, p.n());
    assertEquals(SamplingParams.DEFAULT_MAX_NEW_TOKENS, p.maxNewTokens());
    assertEquals(List.of(), p.stopStrings());
    assertArrayEquals(new int[0], p.stopTokenIds());
    assertFalse(p.ignoreEos());
    assertNull(p.logprobs());
    assertFalse(p.isGreedy());
    assertFalse(p.hasPenalties());
  }

  @Test
  void builderRoundTripsEveryField() {
    SamplingParams p = SamplingParams.builder().optTemperature(0.7).optTopK(50).optTopP(0.9)
        .optMinP(0.05).optRepetitionPenalty(1.1).optPresencePenalty(-0.5).optFrequencyPenalty(2)
        .optSeed(-42).optN(4).optMaxNewTokens(1000).optStopStrings(List.of("</s>", "\n\n"))
        .optStopTokenIds(7, 9).optIgnoreEos(true).optLogprobs(5).build();
    assertEquals(0.7, p.temperature());
    assertEquals(50, p.topK());
    assertEquals(0.9, p.topP());
    assertEquals(0.05, p.minP());
    assertEquals(1.1, p.repetitionPenalty());
    assertEquals(-0.5, p.presencePenalty());
    assertEquals(2.0, p.frequencyPenalty());
    assertEquals(-42L, p.seed());
    assertEquals(4, p.n());
    assertEquals(1000, p.maxNewTokens());
    assertEquals(List.of("</s>", "\n\n"), p.stopStrings());
    assertArrayEquals(new int[] {7, 9}, p.stopTokenIds());
    assertTrue(p.ignoreEos());
    assertEquals(5, p.logprobs());
    assertTrue(p.hasPenalties());
    assertEquals(p, p.toBuilder().build());
    assertEquals(p.hashCode(), p.toBuilder().build().hashCode());
    assertFalse(p.equals(p.toBuilder().optSeed(0).build()));
  }

  @Test
  void greedyBelowTheEpsilon() {
    assertTrue(SamplingParams.GREEDY.isGreedy());
    assertEquals(0.0, SamplingParams.GREEDY.temperature());
    assertTrue(SamplingParams.builder().optTemperature(1e-6).build().isGreedy());
    assertFalse(SamplingParams.builder().optTemperature(1e-5).build().isGreedy());
  }

  @Test
  void isImmutable() {
    List<String> stops = new ArrayList<>(List.of("x"));
    int[] ids = {1, 2};
    SamplingParams p = SamplingParams.builder().optStopStrings(stops).optStopTokenIds(ids).build();
    stops.add("y");
    ids[0] = 99;
    p.stopTokenIds()[1] = 99;
    assertEquals(List.of("x"), p.stopStrings());
    assertArrayEquals(new int[] {1, 2}, p.stopTokenIds());
    assertThrows(UnsupportedOperationException.class, () -> p.stopStrings().add("z"));
  }

  @Test
  void boundaryValuesAreAccepted() {
    SamplingParams.builder().optTopP(1).optMinP(1).optMinP(0).optPresencePenalty(-2)
        .optFrequencyPenalty(2).optLogprobs(0).optRepetitionPenalty(1e-3).optTopK(0).build();
    SamplingParams.builder().optTopP(Double.MIN_VALUE).optMinP(1).optPresencePenalty(2)
        .optFrequencyPenalty(-2).build();
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        bad(b -> b.optTemperature(-0.1), "temperature must be >= 0 and finite (0 = greedy), got -0.1"),
        bad(b -> b.optTemperature(Double.NaN), "temperature must be >= 0 and finite (0 = greedy), got NaN"),
        bad(b -> b.optTemperature(Double.POSITIVE_INFINITY),
            "temperature must be >= 0 and finite (0 = greedy), got Infinity"),
        bad(b -> b.optTopK(-1), "topK must be >= 0 (0 = off), got -1"),
        bad(b -> b.optTopP(0), "topP must be in (0, 1] (1 = off), got 0.0"),
        bad(b -> b.optTopP(1.01), "topP must be in (0, 1] (1 = off), got 1.01"),
        bad(b -> b.optTopP(Double.NaN), "topP must be in (0, 1] (1 = off), got NaN"),
        bad(b -> b.optMinP(-0.01), "minP must be in [0, 1] (0 = off), got -0.01"),
        bad(b -> b.optMinP(1.5), "minP must be in [0, 1] (0 = off), got 1.5"),
        bad(b -> b.optRepetitionPenalty(0), "repetitionPenalty must be > 0 and finite (1 = off), got 0.0"),
        bad(b -> b.optRepetitionPenalty(-1), "repetitionPenalty must be > 0 and finite (1 = off), got -1.0"),
        bad(b -> b.optPresencePenalty(2.5), "presencePenalty must be in [-2, 2] (0 = off), got 2.5"),
        bad(b -> b.optFrequencyPenalty(-2.01), "frequencyPenalty must be in [-2, 2] (0 = off), got -2.01"),
        bad(b -> b.optN(0), "n must be >= 1, got 0"),
        bad(b -> b.optMaxNewTokens(0), "maxNewTokens must be >= 1, got 0"),
        bad(b -> b.optStopStrings(null), "stopStrings must not be null (use an empty list), got null"),
        bad(b -> b.optStopStrings(List.of("ok", "")),
            "stopStrings[1] must be a non-empty string (an empty stop string would stop at once), got \"\""),
        bad(b -> b.optStopStrings(Arrays.asList("ok", null)),
            "stopStrings[1] must be a non-empty string (an empty stop string would stop at once), got null"),
        bad(b -> b.optStopTokenIds((int[]) null), "stopTokenIds must not be null (use an empty array), got null"),
        bad(b -> b.optStopTokenIds(3, -1), "stopTokenIds[1] must be >= 0, got -1"),
        bad(b -> b.optLogprobs(-1), "logprobs must be null (none) or >= 0, got -1"));
  }

  private static Arguments bad(UnaryOperator<SamplingParams.Builder> set, String message) {
    return Arguments.of(message.substring(0, message.indexOf(' ')), set, message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void buildNamesTheFieldAndRange(String field, UnaryOperator<SamplingParams.Builder> set, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> set.apply(SamplingParams.builder()).build());
    assertEquals(message, e.getMessage());
  }
}
