package io.tokenmill.udfs.rows;

/** What an input column holds, as far as the input contract cares; each runner maps its own types here. */
public enum ColumnKind {
  STRING,
  NUMBER,
  /** array&lt;struct&lt;role: string, content: string&gt;&gt; (chat messages) */
  MESSAGES,
  OTHER;
}
