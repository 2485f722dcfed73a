package io.tokenmill.jobs.run;

import java.io.IOException;
import java.util.List;

/**
 * The few operations on the output directory that {@link OutputGuard} and {@link RunLock} need, so their
 * rules exist once for both stores (java.nio for the Arrow runner, Hadoop's FileSystem for Spark). Names are
 * relative to the output root; {@code ""} is the root itself.
 */
public interface OutputFiles {

  /** What a name is. */
  enum Kind { MISSING, FILE, DIRECTORY }

  /** The output root as a message should show it. */
  String root();

  /**
   * {@code path} (the root when null) in a form two paths can be compared in: qualified with its file system
   * ({@code scheme://authority/path}), absolute, symlinks resolved as far as the path exists.
   */
  String canonical(String path) throws IOException;

  Kind kind(String name) throws IOException;

  /** Entries of a directory, by name; empty when it is missing. */
  List<String> list(String name) throws IOException;

  void mkdirs(String name) throws IOException;

  /** The file's text, or null when it is missing. */
  String read(String name) throws IOException;

  /** Last modification time in epoch milliseconds, or -1 when missing. */
  long modifiedMillis(String name) throws IOException;

  /** Atomically creates {@code name} holding {@code text} if it does not exist; false when it exists. */
  boolean createNew(String name, String text) throws IOException;

  /** Replaces the content of an existing or new file. */
  void write(String name, String text) throws IOException;

  /** Renames; false when {@code from} is missing or {@code to} exists. */
  boolean rename(String from, String to) throws IOException;

  /** Deletes a file or a directory tree; nothing when missing. */
  void delete(String name) throws IOException;

  /** Releases what the implementation holds (a file system instance). */
  default void close() throws IOException {}
}
