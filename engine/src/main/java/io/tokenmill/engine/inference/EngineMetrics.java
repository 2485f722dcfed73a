package io.tokenmill.engine.inference;

/**
 * Engine-wide counters at one moment: forward steps, mean batch occupancy (running sequences / max
 * batch, averaged over steps), prefill vs decode tokens computed, prefill tokens saved by shared-prefix
 * reuse, preemptions, finished samples and their output tokens, time in the model runner (forward and
 * device sampling) and host time of the steps (outside native compute; defined in {@link StepStats}).
 */
public record EngineMetrics(long steps, double meanOccupancy, long prefillTokens, long decodeTokens,
    long cachedPrefixTokens, long preemptions, long finishedSamples, long outputTokens, double forwardSeconds,
    double hostSeconds) {}
