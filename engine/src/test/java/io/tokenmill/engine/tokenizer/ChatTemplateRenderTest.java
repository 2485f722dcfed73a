package io.tokenmill.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Each format's template, loaded from a written tokenizer_config.json, renders exactly the prompt
 * the real model's template produces for the same conversation.
 */
class ChatTemplateRenderTest {

    @TempDir Path dir;

    private static final List<ChatMessage> SYS_USER =
            List.of(ChatMessage.system("You are a test."), ChatMessage.user("Hello"));

    private ModelTokenizer load(ChatFormat format) throws Exception {
        TokenizerWriter.write(dir, 512, format);
        return ModelTokenizer.load(dir);
    }

    private static ChatTemplate template(ModelTokenizer tok) {
        return tok.chatTemplate().orElseThrow();
    }

    private static long count(int[] ids, int id) {
        return Arrays.stream(ids).filter(i -> i == id).count();
    }

    @Test
    void chatml() throws Exception {
        try (ModelTokenizer tok = load(ChatFormat.CHATML)) {
            ChatTemplate t = template(tok);
            assertEquals(
                    "<|im_start|>system\nYou are a test.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n",
                    t.render(SYS_USER, false, true));
            String prompt = t.render(SYS_USER, true, true);
            assertEquals(
                    "<|im_start|>system\nYou are a test.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
                            + "<|im_start|>assistant\n",
                    prompt);
            assertEquals(
                    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                            + "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
                    t.render(List.of(ChatMessage.user("Hello")), true, true));

            int[] ids = tok.encode(prompt);
            assertEquals(3, count(ids, tok.tokenId("<|im_start|>").getAsInt()));
            assertEquals(2, count(ids, tok.tokenId("<|im_end|>").getAsInt()));
            assertEquals(prompt, tok.decode(ids));
        }
    }

    @Test
    void qwen3() throws Exception {
        try (ModelTokenizer tok = load(ChatFormat.QWEN3)) {
            ChatTemplate t = template(tok);
            String head =
                    "<|im_start|>system\nYou are a test.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n";
            assertEquals(head, t.render(SYS_USER, false, true));
            assertEquals(head + "<|im_start|>assistant\n", t.render(SYS_USER, true, true));
            String noThink = t.render(SYS_USER, true, false);
            assertEquals(head + "<|im_start|>assistant\n<think>\n\n</think>\n\n", noThink);
            // no default system prompt in Qwen3
            assertEquals(
                    "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
                    t.render(List.of(ChatMessage.user("Hello")), true, true));

            int[] ids = tok.encode(noThink);
            assertEquals(1, count(ids, tok.thinkStartId()));
            assertEquals(1, count(ids, tok.thinkEndId()));
            assertEquals(3, count(ids, tok.tokenId("<|im_start|>").getAsInt()));
        }
    }

    @Test
    void qwen3StripsReasoningFromHistoryButNotFromTheLastTurn() throws Exception {
        try (ModelTokenizer tok = load(ChatFormat.QWEN3)) {
            ChatTemplate t = template(tok);
            ChatMessage answer = ChatMessage.assistant("<think>\nhmm\n</think>\n\nHello!");
            assertEquals(
                    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                            + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
                    t.render(List.of(ChatMessage.user("Hi"), answer, ChatMessage.user("Bye")), true, true));
            assertEquals(
                    "<|im_start|>user\nHi<|im_end|>\n"
                            + "<|im_start|>assistant\n<think>\nhmm\n</think>\n\nHello!<|im_end|>\n",
                    t.render(List.of(ChatMessage.user("Hi"), answer), false, true));
        }
    }

    @Test
    void deepseekR1() throws Exception {
        try (ModelTokenizer tok = load(ChatFormat.DEEPSEEK_R1)) {
            ChatTemplate t = template(tok);
            assertEquals(
                    "<｜begin▁of▁sentence｜>You are a test.<｜User｜>Hello",
                    t.render(SYS_USER, false, true));
            String prompt = t.render(SYS_USER, true, true);
            assertEquals(
                    "<｜begin▁of▁sentence｜>You are a test.<｜User｜>Hello<｜Assistant｜><think>\n",
                    prompt);
            assertTrue(prompt.endsWith("<｜Assistant｜><think>\n"));
            assertEquals(
                    "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello!<｜end▁of▁sentence｜>"
                            + "<｜User｜>Bye<｜Assistant｜><think>\n",
                    t.render(
                            List.of(
                                    ChatMessage.user("Hi"),
                                    ChatMessage.assistant("<think>\nhmm\n</think>Hello!"),
                                    ChatMessage.user("Bye")),
                            true,
                            true));

            int[] ids = tok.encode(prompt);
            assertEquals(tok.bosId(), ids[0]);
            int n = ids.length;
            assertArrayEquals(
                    new int[] {tok.tokenId("<｜Assistant｜>").getAsInt(), tok.thinkStartId(), '\n'},
                    Arrays.copyOfRange(ids, n - 3, n));
            assertEquals(1, count(ids, tok.tokenId("<｜User｜>").getAsInt()));
        }
    }

    @Test
    void llama3() throws Exception {
        try (ModelTokenizer tok = load(ChatFormat.LLAMA3)) {
            ChatTemplate t = template(tok);
            Map<String, Object> date = Map.of("date_string", "26 Jul 2024");
            String head =
                    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                            + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                            + "You are a test.<|eot_id|>"
                            + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>";
            assertEquals(head, t.render(SYS_USER, false, true, date));
            String prompt = t.render(SYS_USER, true, true, date);
            assertEquals(head + "<|start_header_id|>assistant<|end_header_id|>\n\n", prompt);

            int[] ids = tok.encode(prompt);
            assertEquals(tok.bosId(), ids[0]);
            assertEquals(3, count(ids, tok.tokenId("<|start_header_id|>").getAsInt()));
            assertEquals(2, count(ids, tok.tokenId("<|eot_id|>").getAsInt()));
            assertEquals(tok.eosIds()[0], tok.tokenId("<|eot_id|>").getAsInt());
        }
    }

    /** The engine renders and encodes from many threads with one template/tokenizer. */
    @Test
    void renderAndEncodeAreThreadSafe() throws Exception {
        try (ModelTokenizer tok = load(ChatFormat.QWEN3)) {
            ChatTemplate t = template(tok);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
                for (int task = 0; task < 32; task++) {
                    int n = task;
                    results.add(
                            pool.submit(
                                    () -> {
                                        for (int i = 0; i < 25; i++) {
                                            String user = "question " + n + "/" + i + " é€😀";
                                            String expected =
                                                    "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
                                            String got = t.render(List.of(ChatMessage.user(user)), true, true);
                                            if (!expected.equals(got) || !got.equals(tok.decode(tok.encode(got)))) {
                                                return false;
                                            }
                                        }
                                        return true;
                                    }));
                }
                for (java.util.concurrent.Future<Boolean> r : results) {
                    assertTrue(r.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void llama3UsesStrftimeNowWithoutDateString() throws Exception {
        try (ModelTokenizer tok = load(ChatFormat.LLAMA3)) {
            String out = template(tok).render(SYS_USER, true, true);
            String today = JinjaCompat.strftime("%d %b %Y", java.time.LocalDateTime.now());
            String yesterday =
                    JinjaCompat.strftime("%d %b %Y", java.time.LocalDateTime.now().minusDays(1));
            assertTrue(
                    out.contains("Today Date: " + today + "\n") || out.contains("Today Date: " + yesterday + "\n"),
                    out);
        }
    }
}
