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

  @Option(names = "--tasks", defaultValue = "add,sub,mul,count",
      description = "tasks, of add, sub, mul, count, seating (default: ${DEFAULT-VALUE}); seating references are "
          + "the puzzle JSON the job's seating verifier reads")
  String tasks;

  @Override
  public Integer call() throws Exception {
    int n = HeldOutPrompts.write(out, io.tokenmill.reasoner.tasks.TaskMix.parse(tasks).tasks(), perTask, seed).size();
    System.out.println("wrote " + n + " prompts to " + out);
    return 0;
  }
}
