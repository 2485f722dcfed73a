package io.tokenmill.engine.reasoning;

import static io.tokenmill.engine.reasoning.ReasoningFormat.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ReasoningFormatTest {
  // Template tails as they read after JSON decoding of tokenizer_config.json: "\\n" here is the two
  // characters backslash-n that Jinja turns into a newline.
  private static final String R1_DISTILL = "{% for message in messages %}{% if message['role'] == 'assistant' %}"
      + "{% set content = message['content'] %}{% if '</think>' in content %}"
      + "{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content}}"
      + "{% endif %}{% endfor %}{% if add_generation_prompt %}{{'<｜Assistant｜><think>\\n'}}{% endif %}";
  private static final String QWEN3_HYBRID = "{%- if message.role == \"assistant\" %}\n"
      + "    {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n')"
      + " + '\\n</think>\\n\\n' + content.lstrip('\\n') }}\n{%- endif %}\n"
      + "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n"
      + "    {%- if enable_thinking is defined and enable_thinking is false %}\n"
      + "        {{- '<think>\\n\\n</think>\\n\\n' }}\n    {%- endif %}\n{%- endif %}\n";
  private static final String QWEN3_THINKING = "{%- if add_generation_prompt %}\n"
      + "    {{- '<|im_start|>assistant\\n<think>\\n' }}\n{%- endif %}\n";
  private static final String PLAIN = "{% for m in messages %}{{ m.content }}{% endfor %}"
      + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  @Test
  void parsesOptionValues() {
    assertEquals(DEEPSEEK_R1, ReasoningFormat.parse("deepseek_r1"));
    assertEquals(DEEPSEEK_R1, ReasoningFormat.parse(" R1 "));
    assertEquals(DEEPSEEK_R1, ReasoningFormat.parse("deepseek-r1"));
    assertEquals(QWEN3, ReasoningFormat.parse("Qwen3"));
    assertEquals(NONE, ReasoningFormat.parse("none"));
    IllegalArgumentException auto = assertThrows(IllegalArgumentException.class, () -> ReasoningFormat.parse("auto"));
    assertTrue(auto.getMessage().contains("detect"));
    assertThrows(IllegalArgumentException.class, () -> ReasoningFormat.parse("granite"));
    assertThrows(IllegalArgumentException.class, () -> ReasoningFormat.parse(null));
  }

  @Test
  void detectsPromptThatOpensTheThinkBlock() {
    assertEquals(DEEPSEEK_R1, detect(R1_DISTILL, true));
    assertEquals(DEEPSEEK_R1, detect(QWEN3_THINKING, true));
    // Real newline instead of a Jinja escape.
    assertEquals(DEEPSEEK_R1, detect("{% if add_generation_prompt %}<|Assistant|><think>\n{% endif %}", false));
  }

  @Test
  void emptyThinkBlockAndHistoryFormattingDoNotCount() {
    assertEquals(QWEN3, detect(QWEN3_HYBRID, true));
    assertEquals(NONE, detect(QWEN3_HYBRID, false));
  }

  @Test
  void fallsBackToVocabulary() {
    assertEquals(QWEN3, detect(PLAIN, true));
    assertEquals(NONE, detect(PLAIN, false));
    assertEquals(QWEN3, detect(null, true));
    assertEquals(NONE, detect(null, false));
  }

  @Test
  void perRequestBehaviour() {
    assertTrue(DEEPSEEK_R1.thinks(false));
    assertTrue(DEEPSEEK_R1.startsInsideThink(true));
    assertEquals(DEEPSEEK_R1, DEEPSEEK_R1.effective(false));
    assertTrue(QWEN3.thinks(true));
    assertFalse(QWEN3.thinks(false));
    assertFalse(QWEN3.startsInsideThink(true));
    assertEquals(NONE, QWEN3.effective(false));
    assertEquals(QWEN3, QWEN3.effective(true));
    assertFalse(NONE.thinks(true));
    assertFalse(NONE.startsInsideThink(true));
  }
}
