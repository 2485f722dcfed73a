package io.tokenmill.engine.model;

/**
 * The {@code rope_scaling} block of a config.json. Only the "llama3" type (Llama 3.1/3.2) is supported;
 * other types are refused when the config is parsed, because silently ignoring them changes every logit.
 */
public record RopeScaling(
    String type,
    double factor,
    double lowFreqFactor,
    double highFreqFactor,
    int originalMaxPositionEmbeddings) {

  public RopeScaling {
    ModelConfig.require("llama3".equals(type), "rope_scaling type '" + type + "' is not supported (only llama3)");
    ModelConfig.require(factor > 0, "rope_scaling.factor must be > 0");
    ModelConfig.require(highFreqFactor > lowFreqFactor, "rope_scaling.high_freq_factor must exceed low_freq_factor");
    ModelConfig.require(originalMaxPositionEmbeddings > 0, "rope_scaling.original_max_position_embeddings must be > 0");
  }

  /**
   * Applies Llama 3 frequency scaling to one inverse frequency (HF {@code _compute_llama3_parameters}):
   * long wavelengths are slowed by {@code factor}, short ones kept, the band between interpolated.
   */
  public double scale(double invFreq) {
    double wavelen = 2 * Math.PI / invFreq;
    double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
    double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
    if (wavelen < highFreqWavelen) {
      return invFreq;
    }
    if (wavelen > lowFreqWavelen) {
      return invFreq / factor;
    }
    double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * invFreq / factor + smooth * invFreq;
  }
}
