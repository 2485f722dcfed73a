package io.tokenmill.udfs.input;

import java.io.Serializable;

/**
 * One file of an input: where it is ({@code path}: a local path or any Hadoop URI, whatever the runner opens)
 * and its {@code name} relative to {@code input.path} ({@code sub/b.jsonl}; the file name when input.path is
 * a file). Error messages name files by {@code name}, so both runners write the same messages.
 *
 * @param index the file's place in the sorted listing; row positions count files in this order
 */
public record InputFile(int index, String path, String name) implements Serializable {}
