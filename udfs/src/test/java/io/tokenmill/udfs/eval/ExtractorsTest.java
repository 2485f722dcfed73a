package io.tokenmill.udfs.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ExtractorsTest {

  private static String extract(String spec, String answer) {
    return Extractors.of(spec).extract(answer);
  }

  @Test
  void boxedTakesTheLastCompleteBoxWithNestedBraces() {
    assertEquals("\\frac{1}{2}", extract("boxed", "first \\boxed{3}, then \\boxed{ \\frac{1}{2} }."));
    assertEquals("{a}{b}", extract("boxed", "\\boxed{{a}{b}}"));
    assertEquals("x \\} y", extract("boxed", "\\boxed{x \\} y}"), "escaped brace does not close");
    assertEquals("7", extract("boxed", "\\fbox{7}"));
    assertEquals("5", extract("boxed", "\\boxed{5} and then a truncated \\boxed{12"));
    assertEquals("5", extract("boxed", "\\boxed{5}. Format: \\boxed{ }"), "empty box skipped");
    assertNull(extract("boxed", "no box here: 42"));
    assertNull(extract("boxed", null));
  }

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "The answer is 42.                     | 42",
        "It drops to -3 degrees.               | -3",
        "It drops to \u22123 degrees.          | -3",
        "Total: 1,234 apples                   | 1234",
        "She pays $3.50.                       | 3.50",
        "Half is 1/2.                          | 1/2",
        "from 1,000 to 2,500,000.              | 2500000",
        "Pages 3-5                             | 5",
        "5 - 3 = 2                             | 2",
        "x = 10 - -4 = 14                      | 14",
        "Qwen2 says .5                         | .5",
        "list 1,2,3                            | 3",
        "no digits at all                      | NULL",
      })
  void lastNumber(String answer, String expected) {
    assertEquals(expected, extract("last_number", answer));
  }

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "Answer: C                                        | C",
        "The answer is (B).                               | B",
        "Final answer: **D**                              | D",
        "answer: I think it is (A)                        | A",
        "(A) is wrong and (C) is also wrong. Answer: B    | B",
        "So the result is \\boxed{\\text{E}}              | E",
        "A. 391\\nB. 401\\nAfter checking:\\nB            | B",
        "(A) 12 (B) 13 ... I pick (C)                     | C",
        "B.                                               | B",
        "a cat is not an answer                           | NULL",
        "The answer is a bit unclear                      | NULL",
        "Answer: Bob                                      | NULL",
      })
  void choice(String answer, String expected) {
    assertEquals(expected, extract("choice", answer.replace("\\n", "\n")));
  }

  @Test
  void jsonTakesTheLastValidObjectCanonicalised() {
    assertEquals(
        "{\"a\":1,\"b\":{\"c\":[2,{\"d\":true,\"e\":null}]}}",
        extract("json", "Draft {bad json}.\n```json\n{ \"b\": {\"c\": [2, {\"e\": null, \"d\": true}]}, \"a\": 1 }\n```"));
    assertEquals("{\"x\":\"}{\"}", extract("json", "{\"x\": \"}{\"} trailing"), "braces inside strings");
    assertEquals("{\"late\":2}", extract("json", "{\"early\":1} then {\"late\":2}"));
    assertNull(extract("json", "{'single': 'quotes'}"));
    assertNull(extract("json", "{\"trailing\": 1,}"));
    assertNull(extract("json", "[1, 2, 3] is an array, not an object"));
    assertNull(extract("json", "no json"));
  }

  @Test
  void regexUsesGroupOneWhenThereIsOneElseTheWholeMatch() {
    assertEquals("17", extract("regex:Result=(\\d+)", "Result=12 ... Result=17"));
    assertEquals("Result=17", extract("regex:Result=\\d+", "Result=12 ... Result=17"));
    assertEquals("b", extract("REGEX:(?i)ANS: (\\w+)", "ans: a\nans: b"), "prefix is case-insensitive, pattern verbatim");
    assertNull(extract("regex:(x)?y", "y"), "group 1 did not take part");
    assertNull(extract("regex:zzz", "abc"));
  }

  @Test
  void noneIsTheWholeAnswerTrimmed() {
    assertEquals("Paris, France", extract("none", "  Paris, France \n"));
    assertNull(extract("none", "   "));
  }

  @Test
  void autoAloneIsTheLastBoxElseTheLastNumber() {
    assertEquals("\\frac{3}{4}", extract("auto", "2 ... \\boxed{\\frac{3}{4}} then 9"));
    assertEquals("9", extract("auto", "2 then 9"));
    assertEquals("9", extract(null, "2 then 9"));
    assertEquals("9", extract("auto", "2 then 9, as asked: \\boxed{}"));
  }

  @Test
  void autoFollowsThePairedVerifier() {
    String answer = "Option (A) has 3 seats. Answer: C";
    assertEquals("C", Extractors.of("auto", Verifiers.of("choice")).extract(answer));
    assertEquals("3", Extractors.of("auto", Verifiers.of("numeric")).extract(answer));
    assertEquals(answer, Extractors.of("auto", Verifiers.of("exact")).extract(answer));
  }

  @Test
  void badSpecsNameThemselvesAndTheAllowedValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Extractors.of("boxd"));
    assertTrue(e.getMessage().contains("'boxd'") && e.getMessage().contains("last_number")
        && e.getMessage().contains("regex:<pattern>"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Extractors.of("regex:(unclosed"));
    assertTrue(e.getMessage().contains("regex:(unclosed"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Extractors.of("regex:"));
  }
}
