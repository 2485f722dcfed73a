package io.tokenmill.udfs.eval;

import java.io.Serializable;

/**
 * Scores model answers against references: the configured extractor pulls the final answer out of the
 * answer text, the configured verifier compares it with the reference. Built once per job from
 * {@code eval.extractor} and {@code eval.verifier}; immutable, so thread-safe, and Serializable, so it
 * ships to executors inside a task. Spark-free: the executor code, the local runner and the SQL
 * functions of {@code io.tokenmill.udfs.spark.AnswerUdfs} all call it.
 *
 * <pre>{@code
 * AnswerScorer scorer = AnswerScorer.of("auto", "numeric");
 * scorer.score("... so she pays \\boxed{1,250}.", "1250");  // Score[extracted=1,250, correct=true]
 * }</pre>
 *
 * <p>Extractors: {@code auto} (the verifier's own: see each verifier), {@code boxed},
 * {@code last_number}, {@code choice}, {@code json}, {@code seating}, {@code none},
 * {@code regex:<pattern>}. Verifiers: {@code auto}, {@code exact}, {@code numeric}, {@code choice},
 * {@code json}, {@code seating}. A null spec or name means {@code auto} (the config default).
 *
 * <p>With both set to {@code auto}, a row whose reference is a seating puzzle (a JSON object with
 * {@code guests} and {@code constraints}, as in {@code seating.jsonl}) is scored by the {@code seating}
 * extractor and verifier, so one job can score a mix of arithmetic and seating prompts.
 */
public final class AnswerScorer implements Serializable {

  private static final long serialVersionUID = 1L;

  private final String extractorSpec;
  private final String verifierName;
  private final Extractor extractor;
  private final Verifier verifier;
  /** For auto/auto: the scorer of seating-puzzle references; else null. */
  private final AnswerScorer seating;

  private AnswerScorer(String extractorSpec, String verifierName) {
    this.extractorSpec = extractorSpec == null ? "auto" : extractorSpec;
    this.verifierName = verifierName == null ? "auto" : verifierName;
    this.verifier = Verifiers.of(verifierName);
    this.extractor = Extractors.of(extractorSpec, verifier);
    this.seating = this.extractorSpec.trim().equalsIgnoreCase("auto") && this.verifierName.trim().equalsIgnoreCase("auto")
        ? new AnswerScorer("seating", "seating") : null;
  }

  /** Whether {@code reference} is a seating puzzle's rules: a JSON object naming guests and constraints. */
  static boolean isSeatingReference(String reference) {
    String r = reference.strip();
    return r.startsWith("{") && r.contains("\"guests\"") && r.contains("\"constraints\"");
  }

  /**
   * The scorer for an {@code eval.extractor} spec and an {@code eval.verifier} name.
   *
   * @throws IllegalArgumentException naming the bad spec or name and the allowed values
   */
  public static AnswerScorer of(String extractorSpec, String verifierName) {
    return new AnswerScorer(extractorSpec, verifierName);
  }

  /**
   * Extracts from {@code answer} and, when there is a reference, verifies. A null answer extracts to
   * null, which is never correct; a null reference makes {@code correct} null.
   *
   * @throws IllegalArgumentException when the verifier cannot read {@code reference} (a data error,
   *     e.g. a letter under the {@code numeric} verifier), naming the problem
   */
  public Score score(String answer, String reference) {
    if (seating != null && reference != null && isSeatingReference(reference)) return seating.score(answer, reference);
    String extracted = extractor.extract(answer);
    if (reference == null) return new Score(extracted, null);
    return new Score(extracted, verifier.verify(extracted, reference));
  }

  /** Just the extraction, as {@code score(answer, null).extracted()}. */
  public String extract(String answer) {
    return extractor.extract(answer);
  }

  @Override
  public String toString() {
    return "AnswerScorer[extractor=" + extractorSpec + ", verifier=" + verifierName + "]";
  }
}
