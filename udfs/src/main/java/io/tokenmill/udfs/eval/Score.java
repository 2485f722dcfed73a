package io.tokenmill.udfs.eval;

import java.io.Serializable;

/**
 * What {@link AnswerScorer} made of one answer: the {@code extracted} text (null when the extractor
 * found nothing) and whether it is {@code correct} (null when the row has no reference).
 */
public record Score(String extracted, Boolean correct) implements Serializable {}
