package io.tokenmill.jobs.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonArray;
import io.tokenmill.engine.inference.GenerationRequest;
import io.tokenmill.engine.inference.GenerationResult;
import io.tokenmill.engine.inference.LoadedModel;
import io.tokenmill.engine.model.ModelDir;
import io.tokenmill.engine.runtime.ComputeDevice;
import io.tokenmill.engine.reasoning.FinishReason;
import io.tokenmill.engine.sampling.SamplingParams;
import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.engine.tokenizer.ChatTemplate;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill complete}: one prompt through the engine alone ({@link LoadedModel}), greedy. */
@Command(name = "complete", mixinStandardHelpOptions = true,
    description = "Complete one prompt with the engine alone (greedy decoding).")
final class CompleteCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "HF model directory")
  Path model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  static final class Input {
    @Option(names = "--prompt", description = "prompt text") String text;
    @Option(names = "--prompt-ids", split = ",", description = "prompt token ids, comma separated") int[] ids;
  }

  @Option(names = "--max-new-tokens", defaultValue = "64", description = "default: ${DEFAULT-VALUE}")
  int maxNewTokens;

  @Option(names = "--chat", description = "wrap --prompt in the model's chat template as a user message")
  boolean chat;

  @Option(names = "--system", description = "system message (with --chat)")
  String system;

  @Option(names = "--no-thinking", description = "render the chat template with enable_thinking=false")
  boolean noThinking;

  @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE})")
  String format;

  @Option(names = "--device", defaultValue = "auto", description = "cpu, cpu-f16, cpu-bf16, gpu, gpu:N or auto (default: ${DEFAULT-VALUE})")
  String device;

  @Override
  public Integer call() throws Exception {
    if (!format.equals("text") && !format.equals("json")) {
      throw new IllegalArgumentException("--format must be text or json, got '" + format + "'");
    }
    if (chat && input.text == null) throw new IllegalArgumentException("--chat needs --prompt TEXT");
    ModelDir dir = ModelDir.open(model);
    String promptText = null;
    int[] promptIds;
    try (ModelTokenizer tok = dir.tokenizer()) { // the prompt's length sizes the engine below
      if (input.ids != null) {
        promptIds = input.ids;
      } else {
        promptText = input.text;
        if (chat) {
          ChatTemplate template = tok.chatTemplate().orElseThrow(() ->
              new IllegalArgumentException(model + ": tokenizer_config.json has no chat_template (drop --chat)"));
          List<ChatMessage> messages = new ArrayList<>();
          if (system != null) messages.add(new ChatMessage("system", system));
          messages.add(new ChatMessage("user", input.text));
          promptText = template.render(messages, true, !noThinking);
        }
        promptIds = tok.encode(promptText);
      }
    }
    if (promptIds.length == 0) throw new IllegalArgumentException("the prompt is empty");
    int limit = dir.config().maxPositionEmbeddings();
    if (promptIds.length + maxNewTokens > limit) {
      throw new IllegalArgumentException("prompt (" + promptIds.length + " tokens) + --max-new-tokens "
          + maxNewTokens + " exceeds max_position_embeddings " + limit);
    }
    // One sequence: KV blocks are capped to what it can use; the whole prompt is prefilled in one step.
    LoadedModel.Options options = LoadedModel.Options.builder().optMaxBatch(1)
        .optMaxSeqLen(promptIds.length + maxNewTokens).optMaxTokensPerStep(promptIds.length).build();
    try (LoadedModel loaded = LoadedModel.open(model, ComputeDevice.parse(device), options)) {
      SamplingParams greedy = SamplingParams.builder().optTemperature(0).optMaxNewTokens(maxNewTokens).build();
      long t0 = System.nanoTime();
      GenerationResult r = loaded.engine().submit(new GenerationRequest("complete", promptIds, greedy))
          .results().get().get(0);
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (r.error() != null) throw new IllegalArgumentException(r.error());
      boolean stopped = r.finishReason() == FinishReason.STOP;
      if (format.equals("text")) {
        System.out.println(r.text());
      } else {
        JsonObject o = new JsonObject();
        if (promptText != null) o.addProperty("prompt_text", promptText);
        o.add("prompt_ids", toJson(promptIds));
        o.add("completion_ids", toJson(r.outputIds()));
        o.addProperty("text", r.text());
        o.addProperty("finish_reason", stopped ? "stop" : "length");
        o.addProperty("device", loaded.deviceName());
        o.addProperty("seconds", seconds);
        System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(o));
      }
    }
    return 0;
  }

  private static JsonArray toJson(int[] ids) {
    JsonArray a = new JsonArray();
    for (int id : ids) a.add(id);
    return a;
  }
}
