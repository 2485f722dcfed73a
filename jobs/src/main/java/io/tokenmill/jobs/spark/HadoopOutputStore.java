package io.tokenmill.jobs.spark;

import io.tokenmill.jobs.run.GuardedOutputStore;
import io.tokenmill.jobs.run.OutputLayout;
import io.tokenmill.jobs.run.OutputStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * {@link OutputStore} through Hadoop's FileSystem (local, HDFS, S3A, GCS...). Directory renames are atomic
 * on local file systems and HDFS; on object stores a rename is a copy, so a driver killed mid-commit can
 * leave a partial wave there — use a committer-backed table format or HDFS for strict guarantees. Object
 * stores without an atomic create-if-absent (S3) cannot make the run lock strict either ({@code RunLock}).
 */
public final class HadoopOutputStore extends GuardedOutputStore {
  private final Path root;
  private final FileSystem fs;

  public HadoopOutputStore(String root, Configuration conf) throws IOException {
    this(new Path(root), conf);
  }

  private HadoopOutputStore(Path root, Configuration conf) throws IOException {
    super(new HadoopOutputFiles(root, conf));
    this.fs = root.getFileSystem(conf);
    this.root = fs.makeQualified(root);
  }

  @Override
  public boolean hasCommittedRows() throws IOException {
    Path rows = new Path(root, OutputLayout.ROWS);
    if (!fs.exists(rows)) return false;
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(rows, true);
    while (it.hasNext()) {
      if (it.next().getPath().getName().endsWith(".parquet")) return true;
    }
    return false;
  }

  @Override
  protected String staging(String waveDir) {
    return new Path(new Path(root, OutputLayout.STAGING), waveDir).toString();
  }

  @Override
  protected void deleteStaging(String waveDir) throws IOException {
    fs.delete(new Path(staging(waveDir)), true);
  }

  @Override
  protected void move(String waveDir) throws IOException {
    Path target = new Path(new Path(root, OutputLayout.ROWS), waveDir);
    fs.mkdirs(target.getParent());
    if (!fs.rename(new Path(staging(waveDir)), target)) {
      throw new IOException("could not move " + staging(waveDir) + " to " + target);
    }
  }

  @Override
  public String rowsDir() {
    return new Path(root, OutputLayout.ROWS).toString();
  }

  @Override
  protected void writeSummaryTmp(String json) throws IOException {
    try (OutputStream out = fs.create(new Path(root, summaryTmp()), true)) {
      out.write(json.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Override
  public void writeText(String name, String text) throws IOException {
    Path target = new Path(root, name);
    if (text == null) {
      fs.delete(target, false);
      return;
    }
    Path tmp = new Path(root, "." + name + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    fs.delete(target, false);
    if (!fs.rename(tmp, target)) throw new IOException("could not write " + target);
  }

  @Override
  public void damageStaging(String waveDir, String how) throws IOException {
    Path first = null;
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(new Path(staging(waveDir)), true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (p.getName().endsWith(".parquet") && (first == null || p.toString().compareTo(first.toString()) < 0)) first = p;
    }
    if (first == null) return;
    if (how.equals("lose")) {
      fs.delete(first, false);
    } else {
      org.apache.hadoop.fs.FileUtil.copy(fs, first, fs, new Path(first.getParent(), "duplicated-" + first.getName()),
          false, fs.getConf());
    }
  }

  @Override
  protected void replaceSummary() throws IOException {
    Path target = new Path(root, OutputLayout.SUMMARY);
    fs.delete(target, false);
    if (!fs.rename(new Path(root, summaryTmp()), target)) throw new IOException("could not write " + target);
  }
}
