package io.tokenmill.reasoner;

import io.tokenmill.engine.tokenizer.ChatMessage;
import io.tokenmill.engine.tokenizer.ChatTemplate;
import io.tokenmill.engine.tokenizer.ModelTokenizer;
import io.tokenmill.reasoner.tasks.Problem;
import java.util.Arrays;
import java.util.List;

/**
 * Turns problems into token ids exactly as inference will see them: the prompt is the model's own chat
 * template rendered for one user message with the generation prompt (what a job sends), the completion
 * is the reasoning, {@code </think>}, the answer and the end-of-sequence token.
 */
public final class ProblemEncoder {

  private final ModelTokenizer tokenizer;
  private final ChatTemplate template;
  private final int eosId;

  public ProblemEncoder(ModelTokenizer tokenizer) {
    this.tokenizer = tokenizer;
    this.template = tokenizer.chatTemplate()
        .orElseThrow(() -> new IllegalArgumentException(tokenizer.directory() + ": no chat template"));
    this.eosId = tokenizer.eosIds()[0];
  }

  public ModelTokenizer tokenizer() {
    return tokenizer;
  }

  /** The rendered prompt text: template(user = problem prompt) with the generation prompt. */
  public String promptText(Problem p) {
    return template.render(List.of(ChatMessage.user(p.prompt())), true, true);
  }

  public int[] prompt(Problem p) {
    return tokenizer.encode(promptText(p));
  }

  /** The completion the model learns: reasoning, {@code </think>}, answer, then EOS. */
  public int[] completion(Problem p) {
    int[] ids = tokenizer.encode(p.completion());
    int[] out = Arrays.copyOf(ids, ids.length + 1);
    out[ids.length] = eosId;
    return out;
  }

  public PackedBatch.Sequence sequence(Problem p) {
    int[] prompt = prompt(p);
    int[] completion = completion(p);
    int[] all = Arrays.copyOf(prompt, prompt.length + completion.length);
    System.arraycopy(completion, 0, all, prompt.length, completion.length);
    return new PackedBatch.Sequence(all, prompt.length);
  }
}
