package io.tokenmill.jobs.local;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.arrow.dataset.file.FileFormat;
import org.apache.arrow.dataset.file.FileSystemDatasetFactory;
import org.apache.arrow.dataset.jni.NativeMemoryPool;
import org.apache.arrow.dataset.scanner.ScanOptions;
import org.apache.arrow.dataset.scanner.Scanner;
import org.apache.arrow.dataset.source.Dataset;
import org.apache.arrow.dataset.source.DatasetFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

/** Reads one Parquet file batch by batch through Arrow's dataset JNI; errors name the file. */
public final class ParquetScan {

  /** Called with the (reused) root before the first batch, with rowCount 0, and after each batch is loaded. */
  public interface Batches {
    void schema(VectorSchemaRoot root) throws IOException;

    void batch(VectorSchemaRoot root) throws IOException;
  }

  private ParquetScan() {}

  public static void scan(Path file, BufferAllocator allocator, Batches batches) throws IOException {
    try (DatasetFactory factory = new FileSystemDatasetFactory(allocator, NativeMemoryPool.getDefault(),
            FileFormat.PARQUET, file.toUri().toString());
        Dataset dataset = factory.finish();
        Scanner scanner = dataset.newScan(new ScanOptions(32768));
        ArrowReader reader = scanner.scanBatches()) {
      batches.schema(reader.getVectorSchemaRoot());
      while (reader.loadNextBatch()) batches.batch(reader.getVectorSchemaRoot());
    } catch (IOException | IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot read Parquet " + file + ": " + e.getMessage(), e);
    }
  }
}
