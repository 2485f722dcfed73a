package io.tokenmill.jobs.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's make-model → complete path through the real CLI entry point. */
class CliTest {

  @TempDir static Path tmp;
  static Path model;

  @BeforeAll
  static void makeModel() {
    model = tmp.resolve("qwen3-tiny");
    Captured c = capture(() -> TokenmillCli.run("make-model", "--config", "../conf/models/qwen3-0.6b",
        "--out", model.toString(), "--seed", "3", "--dtype", "bf16", "--set", "num_hidden_layers=2",
        "--set", "vocab_size=512", "--set", "hidden_size=64", "--set", "intermediate_size=128",
        "--set", "num_attention_heads=4", "--set", "num_key_value_heads=2", "--set", "head_dim=16"));
    assertEquals(0, c.code, c.err);
    assertTrue(c.out.contains("qwen3"), c.out);
    assertTrue(Files.exists(model.resolve("model.safetensors")));
  }

  @Test
  void completeJsonFromIdsIsDeterministic() {
    Captured a = capture(() -> TokenmillCli.run("complete", "--model", model.toString(), "--prompt-ids", "257,10,50,51",
        "--max-new-tokens", "7", "--format", "json", "--device", "cpu"));
    assertEquals(0, a.code, a.err);
    JsonObject o = JsonParser.parseString(a.out.trim()).getAsJsonObject();
    assertEquals(4, o.getAsJsonArray("prompt_ids").size());
    int n = o.getAsJsonArray("completion_ids").size();
    assertTrue(n >= 1 && n <= 7, a.out);
    assertTrue(o.has("text"));
    Captured b = capture(() -> TokenmillCli.run("complete", "--model", model.toString(), "--prompt-ids", "257,10,50,51",
        "--max-new-tokens", "7", "--format", "json", "--device", "cpu"));
    assertEquals(o.get("completion_ids"), JsonParser.parseString(b.out.trim()).getAsJsonObject().get("completion_ids"));
  }

  @Test
  void completeChatRendersTheTemplate() {
    Captured c = capture(() -> TokenmillCli.run("complete", "--model", model.toString(), "--prompt", "What is 2+2?",
        "--chat", "--no-thinking", "--max-new-tokens", "3", "--format", "json"));
    assertEquals(0, c.code, c.err);
    String prompt = JsonParser.parseString(c.out.trim()).getAsJsonObject().get("prompt_text").getAsString();
    assertTrue(prompt.startsWith("<|im_start|>user\nWhat is 2+2?<|im_end|>"), prompt);
    assertTrue(prompt.endsWith("<think>\n\n</think>\n\n"), prompt);
  }

  @Test
  void badInputGetsOneClearLine() {
    Captured c = capture(() -> TokenmillCli.run("complete", "--model", tmp.resolve("nope").toString(), "--prompt", "x"));
    assertEquals(2, c.code);
    assertTrue(c.err.contains("does not exist"), c.err);
    c = capture(() -> TokenmillCli.run("complete", "--model", model.toString(), "--prompt-ids", "1,99999"));
    assertEquals(2, c.code);
    assertTrue(c.err.contains("99999"), c.err);
  }

  record Captured(int code, String out, String err) {}

  static Captured capture(java.util.function.IntSupplier run) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = run.getAsInt();
      return new Captured(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
