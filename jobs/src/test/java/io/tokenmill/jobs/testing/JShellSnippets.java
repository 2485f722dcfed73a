package io.tokenmill.jobs.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;

/**
 * Runs a file of JShell code as a notebook would, then prints the value of each expression given after it
 * ({@code check: EXPR = VALUE}); exits 3 when a snippet is rejected or throws. Snippets run in this JVM
 * (JShell's local execution) with this JVM's classpath, so a test starts it with {@link ChildJob#startMain}.
 *
 * <p>Usage: {@code JShellSnippets FILE [EXPR ...]}
 */
public final class JShellSnippets {

  private JShellSnippets() {}

  public static void main(String[] args) throws Exception {
    String code = Files.readString(Path.of(args[0]));
    try (JShell shell = JShell.builder().executionEngine("local").build()) {
      shell.addToClasspath(System.getProperty("java.class.path"));
      SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
      String rest = code;
      while (!rest.isBlank()) {
        SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(rest);
        if (info.source() == null || info.source().isBlank()) {
          fail("incomplete code: " + rest);
        }
        eval(shell, info.source());
        rest = info.remaining();
      }
      for (int i = 1; i < args.length; i++) {
        System.out.println("check: " + args[i] + " = " + eval(shell, args[i]));
      }
    }
    System.exit(0);
  }

  private static String eval(JShell shell, String source) {
    List<SnippetEvent> events = shell.eval(source);
    String value = null;
    for (SnippetEvent e : events) {
      if (e.status() == Snippet.Status.REJECTED) {
        StringBuilder why = new StringBuilder();
        shell.diagnostics(e.snippet()).forEach(d -> why.append(d.getMessage(null)).append("; "));
        fail("rejected: " + source.strip() + " -- " + why);
      }
      if (e.exception() != null) {
        e.exception().printStackTrace(System.out);
        fail("threw: " + source.strip() + " -- " + e.exception());
      }
      if (e.value() != null) value = e.value();
    }
    return value;
  }

  private static void fail(String why) {
    System.out.println("JShellSnippets: " + why);
    System.out.flush();
    System.exit(3);
  }
}
