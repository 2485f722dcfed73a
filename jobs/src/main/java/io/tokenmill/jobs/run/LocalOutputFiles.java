package io.tokenmill.jobs.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** {@link OutputFiles} through java.nio. */
final class LocalOutputFiles implements OutputFiles {
  private final Path root;

  LocalOutputFiles(Path root) {
    this.root = root;
  }

  private Path at(String name) {
    return name.isEmpty() ? root : root.resolve(name);
  }

  @Override
  public String root() {
    return root.toString();
  }

  @Override
  public String canonical(String path) throws IOException {
    if (path == null) return PathOverlap.localCanonical(root);
    if (path.startsWith("file:")) return PathOverlap.localCanonical(Path.of(java.net.URI.create(path)));
    return PathOverlap.localCanonical(Path.of(path));
  }

  @Override
  public Kind kind(String name) {
    Path p = at(name);
    if (Files.isDirectory(p)) return Kind.DIRECTORY;
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? Kind.FILE : Kind.MISSING;
  }

  @Override
  public List<String> list(String name) throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(at(name))) return out;
    try (Stream<Path> s = Files.list(at(name))) {
      s.forEach(p -> out.add(p.getFileName().toString()));
    }
    return out;
  }

  @Override
  public void mkdirs(String name) throws IOException {
    Files.createDirectories(at(name));
  }

  @Override
  public String read(String name) throws IOException {
    try {
      return Files.readString(at(name), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  public long modifiedMillis(String name) throws IOException {
    try {
      return Files.getLastModifiedTime(at(name)).toMillis();
    } catch (NoSuchFileException e) {
      return -1;
    }
  }

  @Override
  public boolean createNew(String name, String text) throws IOException {
    try {
      Files.writeString(at(name), text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  @Override
  public void write(String name, String text) throws IOException {
    Files.writeString(at(name), text, StandardCharsets.UTF_8);
  }

  @Override
  public boolean rename(String from, String to) throws IOException {
    if (Files.exists(at(to), LinkOption.NOFOLLOW_LINKS)) return false;
    try {
      Files.move(at(from), at(to), StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(at(from), at(to));
      return true;
    }
  }

  @Override
  public void delete(String name) throws IOException {
    deleteTree(at(name));
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(p);
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(q);
    }
  }
}
