package io.tokenmill.jobs.cli;

import io.tokenmill.reasoner.HeldOutPrompts;
import io.tokenmill.reasoner.tasks.Tasks;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenmill tiny-prompts}: writes the held-out prompt file for jobs and demos. */
@Command(name = "tiny-prompts", mixinStandardHelpOptions = true,
    description = "Write held-out tiny-reasoner problems as JSON lines {id, prompt, reference, task, level}.")
final class TinyPromptsCommand implements Callable<Integer> {

  @Option(names = "--out", defaultValue = "data-samples/prompts/arith-heldout.jsonl",
      description = "output file (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--per-task", defaultValue = "50", description = "problems per task (default: ${DEFAULT-VALUE})")
  int perTask;

  @Option(names = "--seed", defaultValue = "" + Tasks.EVAL_SEED, description = "sample seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Override
  public Integer call() throws Exception {
    int n = HeldOutPrompts.write(out, perTask, seed).size();
    System.out.println("wrote " + n + " prompts to " + out);
    return 0;
  }
}
