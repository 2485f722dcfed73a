package io.tokenmill.jobs;

import static org.junit.jupiter.api.Assertions.*;

import io.tokenmill.jobs.testing.ChildJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Notebook quick-start" Java block, run as written: snippet by snippet through JShell (local
 * execution, this classpath) in a child JVM whose working directory is the repository root, as a user pastes
 * it into {@code bin/tokenmill jshell}. Then its result is checked: the input's columns followed by the output
 * columns, one row per prompt, the tiny reasoner mostly right.
 */
class ReadmeQuickStartTest {

  @TempDir Path tmp;

  @Test
  void notebookQuickStartRunsAsWritten() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    int section = readme.indexOf("## Notebook quick-start");
    assertTrue(section >= 0, "README has a Notebook quick-start section");
    int start = readme.indexOf("```java\n", section);
    int end = readme.indexOf("```", start + 8);
    assertTrue(start > 0 && end > start && start < readme.indexOf("\n## ", section + 3), "a java block in it");
    Path code = Files.writeString(tmp.resolve("quick-start.jsh"), readme.substring(start + 8, end));

    try (ChildJob shell = ChildJob.startMain("io.tokenmill.jobs.testing.JShellSnippets",
        Path.of("..").toAbsolutePath().normalize(), List.of(code.toString(),
            "String.join(\",\", answers.columns())", "answers.count()",
            "answers.where(\"correct\").count()", "answers.where(\"error is not null\").count()"))) {
      assertEquals(0, shell.exitStatus(600), shell.log());
      String log = shell.log();
      assertTrue(log.contains("check: String.join(\",\", answers.columns()) = \"level,prompt,task,id,sample,"
          + "prompt_text,reasoning,answer,extracted,correct,reference,finish_reason,"), log);
      assertTrue(log.contains("check: answers.count() = 8"), log);
      assertTrue(log.contains("check: answers.where(\"error is not null\").count() = 0"), log);
      long correct = Long.parseLong(log.replaceAll("(?s).*check: answers.where\\(\"correct\"\\).count\\(\\) = (\\d+).*",
          "$1"));
      assertTrue(correct >= 6, "the tiny reasoner gets most of 8 held-out sums right: " + correct + "\n" + log);
      assertTrue(log.contains("accuracy"), "the snippet's own tables were printed: " + log);
    }
  }
}
