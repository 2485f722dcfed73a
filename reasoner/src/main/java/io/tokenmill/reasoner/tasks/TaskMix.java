package io.tokenmill.reasoner.tasks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Which tasks a training run draws and in what shares, written {@code add=1,sub=1,mul=1,count=1,seating=4}
 * (weights are relative; a task left out is not trained). Parsed once; bad input names the entry.
 */
public record TaskMix(Map<String, Double> weights) {

  /** The v1 mix: the four arithmetic tasks in equal shares. */
  public static final TaskMix ARITHMETIC = parse("add=1,sub=1,mul=1,count=1");

  public TaskMix {
    weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    if (weights.isEmpty()) throw new IllegalArgumentException("task mix names no task");
    for (var e : weights.entrySet()) {
      Tasks.byName(e.getKey());
      if (!(e.getValue() > 0) || e.getValue().isInfinite()) {
        throw new IllegalArgumentException("task mix: weight of '" + e.getKey() + "' must be a positive number, got " + e.getValue());
      }
    }
  }

  /** Reads {@code name=weight,...}; a bare name means weight 1. */
  public static TaskMix parse(String text) {
    Map<String, Double> w = new LinkedHashMap<>();
    for (String entry : text.split(",")) {
      String e = entry.trim();
      if (e.isEmpty()) continue;
      int eq = e.indexOf('=');
      String name = eq < 0 ? e : e.substring(0, eq).trim();
      double weight;
      try {
        weight = eq < 0 ? 1 : Double.parseDouble(e.substring(eq + 1).trim());
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("task mix entry '" + e + "': weight is not a number (write name=weight)");
      }
      if (w.put(name, weight) != null) throw new IllegalArgumentException("task mix names '" + name + "' twice");
    }
    return new TaskMix(w);
  }

  public List<Task> tasks() {
    List<Task> out = new ArrayList<>();
    for (String name : weights.keySet()) out.add(Tasks.byName(name));
    return out;
  }

  /** Draws a task with probability proportional to its weight. */
  public Task draw(RandomGenerator rng) {
    double total = weights.values().stream().mapToDouble(Double::doubleValue).sum();
    double x = rng.nextDouble() * total;
    for (var e : weights.entrySet()) {
      x -= e.getValue();
      if (x < 0) return Tasks.byName(e.getKey());
    }
    return Tasks.byName(weights.keySet().iterator().next());
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    weights.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=')
        .append(v == Math.rint(v) ? Long.toString(v.longValue()) : v.toString()));
    return sb.toString();
  }
}
