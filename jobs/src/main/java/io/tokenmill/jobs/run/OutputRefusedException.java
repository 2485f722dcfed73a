package io.tokenmill.jobs.run;

/**
 * A run refused before any work because of its output path: not a directory Tokenmill created, a regular
 * file, overlapping the input, or held by another run. An {@link IllegalArgumentException}, so the job exits
 * with status 2 like any other config or input error; the message names the path(s).
 */
public final class OutputRefusedException extends IllegalArgumentException {
  public OutputRefusedException(String message) {
    super(message);
  }
}
