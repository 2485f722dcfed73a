package io.tokenmill.jobs.config;

/** One documented config key: its dotted name, default (null = none/required) and meaning. */
public record ConfigKey(String name, Object defaultValue, String description) {}
