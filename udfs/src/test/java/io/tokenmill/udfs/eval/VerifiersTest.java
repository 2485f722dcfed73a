package io.tokenmill.udfs.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VerifiersTest {

  private static boolean verify(String verifier, String extracted, String reference) {
    return Verifiers.of(verifier).verify(extracted, reference);
  }

  @ParameterizedTest(name = "[{index}] ''{0}'' vs ''{1}'' -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'  Paris  '           | paris         | true",
        "'New   York.'         | new york      | true",
        "$x^2$                 | x^2           | true",
        "'Ｐａｒｉｓ'          | Paris         | true",
        "London                | Paris         | false",
        "3.5                   | 3.50          | false",
      })
  void exactNormalisesCaseSpaceDollarsAndTheFinalPeriod(String extracted, String reference, boolean expected) {
    assertEquals(expected, verify("exact", extracted, reference));
  }

  @ParameterizedTest(name = "[{index}] ''{0}'' vs ''{1}'' -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'1,000'           | 1000     | true",
        "0.50              | 0.5      | true",
        "1/2               | 0.5      | true",
        "\\frac{1}{2}      | 0.5      | true",
        "-\\frac{3}{4}     | -0.75    | true",
        "$1,250.00         | 1250     | true",
        "$42$              | 42       | true",
        "25%               | 25       | true",
        "\\$1\\,250        | 1250     | true",
        "50\\%              | 50       | true",
        "42.               | 42       | true",
        "1000000.5         | 1000000  | true",
        "1000002           | 1000000  | false",
        "105178800         | 105178880 | false",
        "79695888          | 79695882 | false",
        "021               | 21       | true",
        "21.000            | 21       | true",
        "0.333333333       | 1/3      | true",
        "0.0001            | 0        | false",
        "-3                | 3        | false",
        "1/0               | 0        | false",
        "forty-two         | 42       | false",
        "'1,00'            | 100      | false",
      })
  void numericComparesWholeNumbersExactlyAndOthersWithinOneMillionthRelative(String extracted, String reference, boolean expected) {
    assertEquals(expected, verify("numeric", extracted, reference));
  }

  @Test
  void numericRejectsAReferenceThatIsNotANumber() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> verify("numeric", "3", "B"));
    assertTrue(e.getMessage().contains("'B'"), e.getMessage());
  }

  @Test
  void numbersBeyondDoubleRangeCompareExactly() {
    String huge = "9".repeat(400);
    for (String v : List.of("numeric", "auto")) {
      assertFalse(verify(v, "5", huge), v + ": a 400-digit reference is not 'close' to 5");
      assertFalse(verify(v, "1" + "0".repeat(399), huge), v + ": a tenth of it");
      assertTrue(verify(v, huge, huge), v);
    }
    assertTrue(verify("numeric", "0.5", "1/2"));
    assertTrue(verify("numeric", "\\frac{1}{3}", "1/3"));
  }

  @Test
  void choiceComparesLetters() {
    assertTrue(verify("choice", "B", "B"));
    assertTrue(verify("choice", "(b)", "B."));
    assertFalse(verify("choice", "C", "B"));
    assertFalse(verify("choice", null, "B"));
    assertFalse(verify("choice", "Bob", "B"));
    assertThrows(IllegalArgumentException.class, () -> verify("choice", "B", "42"));
  }

  @Test
  void autoIsNumericWhenBothAreNumbersElseExact() {
    assertTrue(verify("auto", "1,000", "1000.0"));
    assertTrue(verify("auto", "Paris.", "paris"));
    assertFalse(verify("auto", "3.5", "3.6"));
    assertFalse(verify("auto", "12 apples", "12"));
  }

  @Test
  void jsonComparesValuesNotSpelling() {
    assertTrue(verify("json", "{\"b\":[1,2],\"a\":1.0}", "{ \"a\": 1, \"b\": [1, 2] }"));
    assertFalse(verify("json", "{\"b\":[2,1],\"a\":1}", "{\"a\":1,\"b\":[1,2]}"));
    assertFalse(verify("json", "not json", "{}"));
    assertThrows(IllegalArgumentException.class, () -> verify("json", "{}", "{oops"));
  }

  @Test
  void unknownVerifierNamesItselfAndTheAllowedValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Verifiers.of("fuzzy"));
    assertTrue(e.getMessage().contains("'fuzzy'") && e.getMessage().contains("numeric")
        && e.getMessage().contains("seating"), e.getMessage());
  }
}
