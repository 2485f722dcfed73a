package io.tokenmill.jobs.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A job's configuration: one YAML file (nested maps, flattened to dotted keys) plus {@code --set key=value}
 * overrides, whose values are parsed as YAML scalars ({@code 4}, {@code 0.7}, {@code true}, {@code null},
 * {@code [a, b]}). The same keys serve the CLI, spark-submit, Airflow and notebooks. Unknown keys are errors
 * (with the closest known key), so a typo never silently falls back to a default.
 */
public final class JobConfig implements Serializable {

  private final Map<String, Object> values; // only keys the user set, flattened
  private final String source;

  private JobConfig(Map<String, Object> values, String source) {
    this.values = values;
    this.source = source;
  }

  /** Reads {@code location} (a local path, or any Hadoop URI when Spark is on the classpath) and applies {@code sets}. */
  public static JobConfig load(String location, List<String> sets) {
    Map<String, Object> flat = new LinkedHashMap<>();
    String source = "--set only";
    if (location != null) {
      source = location;
      Object doc;
      try (InputStream in = open(location)) {
        doc = yaml().load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read config " + location + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("config " + location + " is not valid YAML: " + e.getMessage(), e);
      }
      if (doc != null && !(doc instanceof Map)) {
        throw new IllegalArgumentException("config " + location + ": the top level must be a mapping of sections");
      }
      if (doc != null) flatten("", (Map<?, ?>) doc, flat, location);
    }
    for (String s : sets == null ? List.<String>of() : sets) {
      int eq = s.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--set expects key=value, got '" + s + "'");
      String key = s.substring(0, eq).trim();
      String raw = s.substring(eq + 1);
      Object v;
      try {
        v = raw.isEmpty() ? "" : yaml().load(raw);
      } catch (RuntimeException e) {
        v = raw;
      }
      if (v instanceof Map<?, ?> m) {
        flatten(key + ".", m, flat, "--set " + key);
      } else {
        flat.put(key, v);
      }
    }
    for (String k : flat.keySet()) checkKnown(k, source);
    return new JobConfig(flat, source);
  }

  /** A config from already-flattened values (tests, notebooks). */
  public static JobConfig of(Map<String, Object> values) {
    for (String k : values.keySet()) checkKnown(k, "map");
    return new JobConfig(new LinkedHashMap<>(values), "map");
  }

  /** A copy with more values set (later wins). */
  public JobConfig with(Map<String, Object> more) {
    Map<String, Object> m = new LinkedHashMap<>(values);
    for (var e : more.entrySet()) {
      checkKnown(e.getKey(), "override");
      m.put(e.getKey(), e.getValue());
    }
    return new JobConfig(m, source);
  }

  public String source() {
    return source;
  }

  /** Effective values of every documented key (defaults filled in) plus free-form spark.conf.* keys. */
  public Map<String, Object> effective() {
    Map<String, Object> m = new TreeMap<>();
    for (ConfigKey k : ConfigKeys.ALL) m.put(k.name(), values.getOrDefault(k.name(), k.defaultValue()));
    for (var e : values.entrySet()) if (e.getKey().startsWith(ConfigKeys.SPARK_CONF_PREFIX)) m.put(e.getKey(), e.getValue());
    return m;
  }

  /** Free-form Spark settings ({@code spark.conf.<spark key>}). */
  public Map<String, String> sparkConf() {
    Map<String, String> m = new LinkedHashMap<>();
    for (var e : values.entrySet()) {
      if (e.getKey().startsWith(ConfigKeys.SPARK_CONF_PREFIX)) {
        m.put(e.getKey().substring(ConfigKeys.SPARK_CONF_PREFIX.length()), String.valueOf(e.getValue()));
      }
    }
    return m;
  }

  public boolean isSet(String key) {
    return values.get(key) != null;
  }

  public Object raw(String key) {
    ConfigKey k = ConfigKeys.BY_NAME.get(key);
    if (k == null) throw new IllegalArgumentException("undocumented config key " + key);
    return values.containsKey(key) ? values.get(key) : k.defaultValue();
  }

  public String string(String key) {
    Object v = raw(key);
    return v == null ? null : v.toString();
  }

  public String required(String key) {
    String v = string(key);
    if (v == null || v.isBlank()) throw new IllegalArgumentException("config key " + key + " is required (" + source + ")");
    return v;
  }

  public int integer(String key) {
    Object v = raw(key);
    long n;
    if (v instanceof Integer || v instanceof Long) {
      n = ((Number) v).longValue();
    } else {
      try {
        n = Long.parseLong(String.valueOf(v).trim());
      } catch (NumberFormatException e) {
        throw bad(key, v, v instanceof Number || v instanceof java.math.BigInteger ? "a whole number in ["
            + Integer.MIN_VALUE + ", " + Integer.MAX_VALUE + "]" : "a whole number");
      }
    }
    if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
      throw bad(key, v, "a whole number in [" + Integer.MIN_VALUE + ", " + Integer.MAX_VALUE + "]");
    }
    return (int) n;
  }

  public Integer optionalInteger(String key) {
    Object v = raw(key);
    if (v == null || "null".equals(v) || "none".equalsIgnoreCase(String.valueOf(v))) return null;
    return integer(key);
  }

  public double number(String key) {
    Object v = raw(key);
    if (v instanceof Number n) return n.doubleValue();
    try {
      return Double.parseDouble(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw bad(key, v, "a number");
    }
  }

  public long longValue(String key) {
    Object v = raw(key);
    if (v instanceof Integer || v instanceof Long) return ((Number) v).longValue();
    try {
      return Long.parseLong(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw bad(key, v, v instanceof java.math.BigInteger ? "a whole number in [" + Long.MIN_VALUE + ", "
          + Long.MAX_VALUE + "]" : "a whole number");
    }
  }

  public boolean bool(String key) {
    Object v = raw(key);
    if (v instanceof Boolean b) return b;
    String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
    if (s.equals("true")) return true;
    if (s.equals("false")) return false;
    throw bad(key, v, "true or false");
  }

  /** Sizes like {@code 0}, {@code 512m}, {@code 2g}, {@code 1073741824}. */
  public long bytes(String key) {
    Object v = raw(key);
    String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
    long mult = 1;
    if (s.endsWith("b")) s = s.substring(0, s.length() - 1);
    if (s.endsWith("k")) mult = 1L << 10;
    else if (s.endsWith("m")) mult = 1L << 20;
    else if (s.endsWith("g")) mult = 1L << 30;
    else if (s.endsWith("t")) mult = 1L << 40;
    if (mult > 1) s = s.substring(0, s.length() - 1);
    try {
      return (long) (Double.parseDouble(s) * mult);
    } catch (NumberFormatException e) {
      throw bad(key, v, "a size like 512m or 2g");
    }
  }

  public List<String> strings(String key) {
    Object v = raw(key);
    if (v == null) return List.of();
    if (v instanceof List<?> l) {
      List<String> out = new ArrayList<>();
      for (Object o : l) out.add(String.valueOf(o));
      return out;
    }
    return List.of(v.toString());
  }

  /** {@code auto} or a positive whole number; returns 0 for auto. */
  public int autoOrPositive(String key) {
    Object v = raw(key);
    if (v == null || "auto".equalsIgnoreCase(String.valueOf(v).trim())) return 0;
    int n = integer(key);
    if (n < 1) throw bad(key, v, "auto or a whole number >= 1");
    return n;
  }

  private IllegalArgumentException bad(String key, Object v, String expected) {
    return new IllegalArgumentException("config key " + key + " must be " + expected + ", got '" + v + "' (" + source + ")");
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  private static InputStream open(String location) throws IOException {
    URI uri = null;
    try {
      uri = URI.create(location);
    } catch (IllegalArgumentException ignored) {
      // a local path with characters a URI does not allow
    }
    if (uri != null && uri.getScheme() != null && uri.getScheme().length() > 1 && !uri.getScheme().equals("file")) {
      return HadoopFiles.open(location);
    }
    Path p = uri != null && "file".equals(uri.getScheme()) ? Path.of(uri) : Path.of(location);
    if (!Files.isRegularFile(p)) throw new IOException("no such file " + p.toAbsolutePath());
    return Files.newInputStream(p);
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, Object> out, String where) {
    for (var e : map.entrySet()) {
      String k = prefix + e.getKey();
      if (e.getValue() instanceof Map<?, ?> m && !k.startsWith(ConfigKeys.SPARK_CONF_PREFIX)) {
        flatten(k + ".", m, out, where);
      } else if (e.getValue() instanceof Map<?, ?> m) {
        flatten(k + ".", m, out, where);
      } else {
        out.put(k, e.getValue());
      }
    }
  }

  private static void checkKnown(String key, String source) {
    if (ConfigKeys.BY_NAME.containsKey(key)) return;
    if (key.startsWith(ConfigKeys.SPARK_CONF_PREFIX) && key.length() > ConfigKeys.SPARK_CONF_PREFIX.length()) return;
    String best = null;
    int bestDist = Integer.MAX_VALUE;
    for (String k : ConfigKeys.BY_NAME.keySet()) {
      int d = distance(key, k);
      if (d < bestDist) {
        bestDist = d;
        best = k;
      }
    }
    throw new IllegalArgumentException("unknown config key '" + key + "' (" + source + ")"
        + (bestDist <= Math.max(3, key.length() / 3) ? "; did you mean '" + best + "'?" : "")
        + " Keys are listed in README.md; free-form Spark settings go under spark.conf.");
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
