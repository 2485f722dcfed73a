package io.tokenmill.jobs.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** {@link OutputStore} on the local file system (the Arrow runner). */
public final class LocalOutputStore implements OutputStore {
  private final Path root;

  public LocalOutputStore(Path root) {
    this.root = root;
  }

  @Override
  public void prepare(JobSettings.OutputMode mode) throws IOException {
    switch (mode) {
      case FAIL_IF_EXISTS -> {
        if (Files.exists(root) && hasAnything()) {
          throw new FileAlreadyExistsException(root + " exists and output.mode is fail_if_exists");
        }
      }
      case OVERWRITE -> deleteTree(root);
      case RESUME -> deleteTree(root.resolve(OutputLayout.STAGING));
    }
    Files.createDirectories(root.resolve(OutputLayout.ROWS));
  }

  private boolean hasAnything() throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.findAny().isPresent();
    }
  }

  @Override
  public boolean hasCommittedRows() throws IOException {
    Path rows = root.resolve(OutputLayout.ROWS);
    if (!Files.isDirectory(rows)) return false;
    try (Stream<Path> s = Files.walk(rows)) {
      return s.anyMatch(p -> p.getFileName().toString().endsWith(".parquet"));
    }
  }

  @Override
  public String stagingDir(String waveDir) {
    return root.resolve(OutputLayout.STAGING).resolve(waveDir).toString();
  }

  @Override
  public void commit(String waveDir) throws IOException {
    Path target = root.resolve(OutputLayout.ROWS).resolve(waveDir);
    Files.createDirectories(target.getParent());
    try {
      Files.move(Path.of(stagingDir(waveDir)), target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(Path.of(stagingDir(waveDir)), target);
    }
  }

  @Override
  public String rowsDir() {
    return root.resolve(OutputLayout.ROWS).toString();
  }

  @Override
  public void writeSummary(String json) throws IOException {
    Path tmp = root.resolve("." + OutputLayout.SUMMARY + ".tmp");
    Files.writeString(tmp, json, StandardCharsets.UTF_8);
    Files.move(tmp, root.resolve(OutputLayout.SUMMARY), StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public void writeText(String name, String text) throws IOException {
    Path target = root.resolve(name);
    if (text == null) {
      Files.deleteIfExists(target);
      return;
    }
    Path tmp = root.resolve("." + name + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public void discardStaging(String waveDir) throws IOException {
    deleteTree(Path.of(stagingDir(waveDir)));
  }

  @Override
  public void damageStaging(String waveDir, String how) throws IOException {
    Path first;
    try (Stream<Path> s = Files.walk(Path.of(stagingDir(waveDir)))) {
      first = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().findFirst().orElse(null);
    }
    if (first == null) return;
    if (how.equals("lose")) Files.delete(first);
    else Files.copy(first, first.resolveSibling("duplicated-" + first.getFileName()));
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.delete(q);
    }
  }
}
