package io.tokenmill.engine.reference;

/**
 * Rotary position embedding exactly as Hugging Face applies it to Llama / Qwen2 / Qwen3 (float64 here).
 *
 * <p>Frequencies (HF {@code _compute_default_rope_parameters}): for i in [0, head_dim/2),
 * {@code inv_freq[i] = 1 / theta^(2i / head_dim)}; optionally rescaled by llama3 scaling
 * (HF {@code _compute_llama3_parameters}).
 *
 * <p>Rotation (HF {@code apply_rotary_pos_emb}: {@code q*cos + rotate_half(q)*sin}, with
 * {@code cos = cat(cos(freqs), cos(freqs))} and {@code rotate_half(x) = cat(-x2, x1)}): the "rotate-half" or
 * NeoX convention. Element i is paired with element i + head_dim/2 (NOT with its neighbour i+1):
 * <pre>
 *   angle    = pos * inv_freq[i]
 *   out[i]        = v[i]        * cos(angle) - v[i + hd/2] * sin(angle)
 *   out[i + hd/2] = v[i + hd/2] * cos(angle) + v[i]        * sin(angle)
 * </pre>
 */
public final class ReferenceRope {

    private ReferenceRope() {
    }

    /** Inverse frequencies for the config: default RoPE, then llama3 scaling if the config has it. */
    public static double[] inverseFrequencies(ReferenceConfig config) {
        double[] invFreq = defaultInverseFrequencies(config.ropeTheta, config.headDim);
        if (config.ropeScaling != null) {
            ReferenceConfig.Llama3RopeScaling s = config.ropeScaling;
            invFreq = llama3InverseFrequencies(invFreq, s.factor, s.lowFreqFactor, s.highFreqFactor,
                    s.originalMaxPositionEmbeddings);
        }
        return invFreq;
    }

    /** {@code inv_freq[i] = 1 / theta^(2i / headDim)}, i in [0, headDim/2). */
    public static double[] defaultInverseFrequencies(double theta, int headDim) {
        double[] invFreq = new double[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        return invFreq;
    }

    /**
     * llama3 ("Llama 3.1") frequency rescaling, per HF {@code _compute_llama3_parameters}:
     * <pre>
     *   low_freq_wavelen  = original_max_position_embeddings / low_freq_factor
     *   high_freq_wavelen = original_max_position_embeddings / high_freq_factor
     *   wavelen = 2*pi / inv_freq
     *   wavelen &lt; high_freq_wavelen : unchanged           (high frequencies)
     *   wavelen &gt; low_freq_wavelen  : inv_freq / factor   (low frequencies)
     *   otherwise (medium)          : smooth = (orig_max / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
     *                                 (1 - smooth) * inv_freq / factor + smooth * inv_freq
     * </pre>
     */
    public static double[] llama3InverseFrequencies(double[] invFreq, double factor, double lowFreqFactor,
                                                    double highFreqFactor, double originalMaxPositionEmbeddings) {
        double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        double[] out = new double[invFreq.length];
        for (int i = 0; i < invFreq.length; i++) {
            double f = invFreq[i];
            double wavelen = 2.0 * Math.PI / f;
            if (wavelen < highFreqWavelen) {
                out[i] = f;
            } else if (wavelen > lowFreqWavelen) {
                out[i] = f / factor;
            } else {
                double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor)
                        / (highFreqFactor - lowFreqFactor);
                out[i] = (1.0 - smooth) * f / factor + smooth * f;
            }
        }
        return out;
    }

    /**
     * Rotates one head vector {@code v[offset .. offset + 2*invFreq.length)} in place for position {@code pos}
     * (rotate-half pairing, see class comment).
     */
    public static void applyInPlace(double[] v, int offset, int pos, double[] invFreq) {
        int half = invFreq.length;
        for (int i = 0; i < half; i++) {
            double angle = pos * invFreq[i];
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double a = v[offset + i];          // first half
            double b = v[offset + i + half];   // its partner in the second half
            v[offset + i] = a * cos - b * sin;
            v[offset + i + half] = b * cos + a * sin;
        }
    }

    /** Returns a rotated copy of a single head vector (length 2 * invFreq.length). */
    public static double[] apply(double[] headVector, int pos, double[] invFreq) {
        if (headVector.length != 2 * invFreq.length) {
            throw new IllegalArgumentException("head vector length " + headVector.length
                    + " != 2 * " + invFreq.length);
        }
        double[] out = headVector.clone();
        applyInPlace(out, 0, pos, invFreq);
        return out;
    }
}
