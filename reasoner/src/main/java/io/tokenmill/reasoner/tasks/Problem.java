package io.tokenmill.reasoner.tasks;

/**
 * One synthetic problem: the user message, the worked reasoning (the text inside the think block), and
 * the exact answer (the text after it). The model is trained to produce
 * {@code reasoning + "\n</think>\n\n" + answer} after the chat template's generation prompt.
 */
public record Problem(String task, int level, String prompt, String reasoning, String answer) {

  /** The assistant output the model is trained on (the template's generation prompt opens the think block). */
  public String completion() {
    return reasoning + "\n</think>\n\n" + answer;
  }

  /** A stable id: task, level and the prompt's hash (the same problem always gets the same id). */
  public String id() {
    return task + "-L" + level + "-" + Long.toHexString(HeldOutSplit.hash(task, prompt));
  }
}
