package io.tokenmill.udfs.rows;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** output.keep_columns against an input's columns: all, none, lists, the id/reference exemption, clashes. */
class KeptColumnsTest {

  static final List<String> COLUMNS = List.of("id", "prompt", "task", "reference", "customer");

  static KeptColumns resolve(Object setting, List<String> columns, InputSpec spec) {
    return KeptColumns.resolve(KeptColumns.Setting.parse(setting), columns, spec, "input in.jsonl");
  }

  @Test
  void allKeepsEveryColumnInInputOrderButTheOnesTheOutputAlreadyHas() {
    assertEquals(List.of("prompt", "task", "customer"), resolve("all", COLUMNS, InputSpec.DEFAULT).names());
    assertEquals(List.of("prompt", "task", "customer"), resolve(null, COLUMNS, InputSpec.DEFAULT).names(), "default");
    assertTrue(resolve("none", COLUMNS, InputSpec.DEFAULT).isEmpty());
    assertEquals(List.of("customer", "task"), resolve(List.of("customer", "id", "task"), COLUMNS, InputSpec.DEFAULT)
        .names(), "a list in its own order; id is the output's");
    assertEquals(List.of("task"), resolve("task", COLUMNS, InputSpec.DEFAULT).names(), "one name");
  }

  @Test
  void anIdColumnWithAnotherNameIsKeptAsItIs() {
    InputSpec qid = new InputSpec("qid", "prompt", "messages", "system", "gold");
    assertEquals(List.of("qid", "prompt", "gold"), resolve("all", List.of("qid", "prompt", "gold"), qid).names());
  }

  @Test
  void aColumnNamedLikeAnOutputColumnIsAnErrorNamingIt() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> resolve("all", List.of("id", "prompt", "ANSWER", "wave", "task"), InputSpec.DEFAULT));
    assertTrue(e.getMessage().contains("'ANSWER', 'wave'") && e.getMessage().contains("input in.jsonl")
        && e.getMessage().contains("output.keep_columns (e.g. [prompt, task])"), e.getMessage());
    // the id column under another name does not make an input column 'id' the output's
    InputSpec qid = new InputSpec("qid", "prompt", "messages", "system", "reference");
    e = assertThrows(IllegalArgumentException.class, () -> resolve("all", List.of("qid", "id", "prompt"), qid));
    assertTrue(e.getMessage().contains("'id'"), e.getMessage());
    assertEquals(List.of("prompt"), resolve(List.of("prompt"), List.of("id", "prompt", "answer"), InputSpec.DEFAULT)
        .names(), "left out: no clash");
  }

  @Test
  void badListsFailNamingTheColumn() {
    var missing = assertThrows(IllegalArgumentException.class, () -> resolve(List.of("tsak"), COLUMNS, InputSpec.DEFAULT));
    assertTrue(missing.getMessage().contains("'tsak'") && missing.getMessage().contains(COLUMNS.toString()),
        missing.getMessage());
    var twice = assertThrows(IllegalArgumentException.class, () -> KeptColumns.Setting.parse(List.of("a", "a")));
    assertTrue(twice.getMessage().contains("'a' twice"), twice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> KeptColumns.Setting.parse(List.of("")));
  }
}
