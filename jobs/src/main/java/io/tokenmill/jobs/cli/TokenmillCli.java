package io.tokenmill.jobs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/tokenmill}: one entry point, one subcommand per task. Each subcommand is its own class;
 * errors in user input print one line naming the problem (no stack trace) and exit 2.
 */
@Command(
    name = "tokenmill",
    mixinStandardHelpOptions = true,
    versionProvider = TokenmillCli.Version.class,
    description = "Batch inference for reasoning language models on DJL and Apache Spark.",
    subcommands = {RunCommand.class, BenchJobCommand.class, MakeModelCommand.class, CompleteCommand.class, BenchCommand.class,
        TrainTinyCommand.class, EvalTinyCommand.class, EvalTinyJobCommand.class, TinyPromptsCommand.class})
public final class TokenmillCli {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (tests call this rather than main). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new TokenmillCli());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException
          || e instanceof java.nio.file.NoSuchFileException) {
        cmd.getErr().println("tokenmill " + cmd.getCommandName() + ": " + e.getMessage());
        return 2;
      }
      throw e;
    });
    return cli.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = TokenmillCli.class.getPackage().getImplementationVersion();
      return new String[] {"tokenmill " + (v == null ? "dev" : v)};
    }
  }
}
