package io.tokenmill.jobs.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** {@link OutputStore} on the local file system (the Arrow runner). */
public final class LocalOutputStore extends GuardedOutputStore {
  private final Path root;

  public LocalOutputStore(Path root) {
    super(new LocalOutputFiles(root));
    this.root = root;
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
  protected String staging(String waveDir) {
    return root.resolve(OutputLayout.STAGING).resolve(waveDir).toString();
  }

  @Override
  protected void deleteStaging(String waveDir) throws IOException {
    LocalOutputFiles.deleteTree(Path.of(staging(waveDir)));
  }

  @Override
  protected void move(String waveDir) throws IOException {
    Path target = root.resolve(OutputLayout.ROWS).resolve(waveDir);
    Files.createDirectories(target.getParent());
    try {
      Files.move(Path.of(staging(waveDir)), target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(Path.of(staging(waveDir)), target);
    }
  }

  @Override
  public String rowsDir() {
    return root.resolve(OutputLayout.ROWS).toString();
  }

  @Override
  protected void writeSummaryTmp(String json) throws IOException {
    Files.writeString(root.resolve(summaryTmp()), json, StandardCharsets.UTF_8);
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
  public void damageStaging(String waveDir, String how) throws IOException {
    Path first;
    try (Stream<Path> s = Files.walk(Path.of(staging(waveDir)))) {
      first = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().findFirst().orElse(null);
    }
    if (first == null) return;
    if (how.equals("lose")) Files.delete(first);
    else Files.copy(first, first.resolveSibling("duplicated-" + first.getFileName()));
  }

  @Override
  protected void replaceSummary() throws IOException {
    Files.move(root.resolve(summaryTmp()), root.resolve(OutputLayout.SUMMARY), StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }
}
