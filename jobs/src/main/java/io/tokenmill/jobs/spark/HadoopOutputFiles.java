package io.tokenmill.jobs.spark;

import io.tokenmill.jobs.run.OutputFiles;
import io.tokenmill.jobs.run.PathOverlap;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@link OutputFiles} through Hadoop's FileSystem API. Uses its own FileSystem instance with checksum files
 * off, so the small marker and lock files stay readable when the Arrow runner (java.nio) rewrites them.
 */
final class HadoopOutputFiles implements OutputFiles {
  private final Path root;
  private final Configuration conf;
  private final FileSystem fs;

  HadoopOutputFiles(Path root, Configuration conf) throws IOException {
    this.conf = conf;
    this.fs = FileSystem.newInstance(root.toUri(), conf);
    fs.setWriteChecksum(false);
    fs.setVerifyChecksum(false);
    this.root = fs.makeQualified(root);
  }

  private Path at(String name) {
    return name.isEmpty() ? root : new Path(root, name);
  }

  @Override
  public String root() {
    return root.toString();
  }

  /** Qualified with the path's own file system; on the local file system, symlinks resolved as well. */
  @Override
  public String canonical(String path) throws IOException {
    Path p = path == null ? root : new Path(path);
    Path q = p.getFileSystem(conf).makeQualified(p);
    if ("file".equals(q.toUri().getScheme())) return PathOverlap.localCanonical(java.nio.file.Path.of(q.toUri().getPath()));
    String s = q.toString();
    return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public Kind kind(String name) throws IOException {
    try {
      FileStatus st = fs.getFileStatus(at(name));
      return st.isDirectory() ? Kind.DIRECTORY : Kind.FILE;
    } catch (FileNotFoundException e) {
      return Kind.MISSING;
    }
  }

  @Override
  public List<String> list(String name) throws IOException {
    List<String> out = new ArrayList<>();
    try {
      for (FileStatus st : fs.listStatus(at(name))) out.add(st.getPath().getName());
    } catch (FileNotFoundException e) {
      // missing: empty
    }
    return out;
  }

  @Override
  public void mkdirs(String name) throws IOException {
    fs.mkdirs(at(name));
  }

  @Override
  public String read(String name) throws IOException {
    try (InputStream in = fs.open(at(name))) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toString(StandardCharsets.UTF_8);
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  @Override
  public long modifiedMillis(String name) throws IOException {
    try {
      return fs.getFileStatus(at(name)).getModificationTime();
    } catch (FileNotFoundException e) {
      return -1;
    }
  }

  @Override
  public boolean createNew(String name, String text) throws IOException {
    if ("file".equals(root.toUri().getScheme())) { // Hadoop's local create checks, then opens: not atomic; O_EXCL is
      try {
        java.nio.file.Files.writeString(java.nio.file.Path.of(at(name).toUri().getPath()), text, StandardCharsets.UTF_8,
            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        return true;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        return false;
      }
    }
    OutputStream out;
    try {
      out = fs.create(at(name), false);
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) { // some file systems report an existing file with a plain IOException
      if (fs.exists(at(name))) return false;
      throw e;
    }
    try (out) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return true;
  }

  @Override
  public void write(String name, String text) throws IOException {
    try (OutputStream out = fs.create(at(name), true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Override
  public boolean rename(String from, String to) throws IOException {
    if (fs.exists(at(to))) return false;
    try {
      return fs.rename(at(from), at(to));
    } catch (FileNotFoundException e) {
      return false;
    }
  }

  @Override
  public void delete(String name) throws IOException {
    fs.delete(at(name), true);
  }

  @Override
  public void close() throws IOException {
    fs.close();
  }
}
