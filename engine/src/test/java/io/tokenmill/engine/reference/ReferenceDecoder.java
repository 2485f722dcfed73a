package io.tokenmill.engine.reference;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Independent float64 reference forward pass of a Hugging Face Llama / Qwen2 / Qwen3 decoder, for checking the
 * real engine. Plain loops over double[], no KV cache: every call recomputes the whole causal sequence with
 * position ids 0..T-1. The math follows transformers' modeling_llama.py / modeling_qwen2.py / modeling_qwen3.py:
 * <pre>
 *   x = embed_tokens[token]
 *   per layer:  h = x + o_proj(attention(input_layernorm(x)))
 *               x = h + down_proj(silu(gate_proj(n)) * up_proj(n)),   n = post_attention_layernorm(h)
 *   logits = lm_head(norm(x))          (lm_head = embed_tokens when tie_word_embeddings)
 * </pre>
 */
public final class ReferenceDecoder {

    /** One decoder layer's weights. Linear weights are HF nn.Linear layout [out_features, in_features], row-major. */
    private static final class Layer {
        double[] inputNorm, postAttentionNorm;
        double[] wq, bq, wk, bk, wv, bv, wo, bo;
        double[] qNorm, kNorm;           // qwen3 only
        double[] wGate, wUp, wDown;
    }

    private final ReferenceConfig config;
    private final double[] embedTokens;  // [vocab, hidden]
    private final Layer[] layers;
    private final double[] finalNorm;    // [hidden]
    private final double[] lmHead;       // [vocab, hidden]
    private final double[] invFreq;      // [head_dim / 2]

    /** Builds the decoder from an already-parsed config and weights; fails loudly on missing or misshaped tensors. */
    public ReferenceDecoder(ReferenceConfig config, ReferenceSafetensors weights) {
        this.config = config;
        int hidden = config.hiddenSize;
        int qDim = config.numAttentionHeads * config.headDim;
        int kvDim = config.numKeyValueHeads * config.headDim;
        int inter = config.intermediateSize;
        int hd = config.headDim;
        embedTokens = tensor(weights, "model.embed_tokens.weight", config.vocabSize, hidden);
        layers = new Layer[config.numHiddenLayers];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            Layer l = new Layer();
            l.inputNorm = tensor(weights, p + "input_layernorm.weight", hidden);
            l.wq = tensor(weights, p + "self_attn.q_proj.weight", qDim, hidden);
            l.wk = tensor(weights, p + "self_attn.k_proj.weight", kvDim, hidden);
            l.wv = tensor(weights, p + "self_attn.v_proj.weight", kvDim, hidden);
            l.wo = tensor(weights, p + "self_attn.o_proj.weight", hidden, qDim);
            if (config.hasQkvBias()) {
                l.bq = tensor(weights, p + "self_attn.q_proj.bias", qDim);
                l.bk = tensor(weights, p + "self_attn.k_proj.bias", kvDim);
                l.bv = tensor(weights, p + "self_attn.v_proj.bias", kvDim);
            }
            if (config.hasOutputBias()) {
                l.bo = tensor(weights, p + "self_attn.o_proj.bias", hidden);
            }
            if (config.hasQkNorm()) {
                l.qNorm = tensor(weights, p + "self_attn.q_norm.weight", hd);
                l.kNorm = tensor(weights, p + "self_attn.k_norm.weight", hd);
            }
            l.postAttentionNorm = tensor(weights, p + "post_attention_layernorm.weight", hidden);
            l.wGate = tensor(weights, p + "mlp.gate_proj.weight", inter, hidden);
            l.wUp = tensor(weights, p + "mlp.up_proj.weight", inter, hidden);
            l.wDown = tensor(weights, p + "mlp.down_proj.weight", hidden, inter);
            layers[i] = l;
        }
        finalNorm = tensor(weights, "model.norm.weight", hidden);
        lmHead = config.tieWordEmbeddings ? embedTokens : tensor(weights, "lm_head.weight", config.vocabSize, hidden);
        invFreq = ReferenceRope.inverseFrequencies(config);
    }

    /** Loads {@code config.json} and the safetensors weights of a HF model directory. */
    public static ReferenceDecoder load(Path modelDir) {
        return new ReferenceDecoder(ReferenceConfig.load(modelDir), ReferenceSafetensors.load(modelDir));
    }

    public ReferenceConfig config() {
        return config;
    }

    /**
     * Full causal forward over {@code tokens} (position ids 0..T-1).
     *
     * @return logits[t][v] for every position t in [0, T) and every vocabulary entry v
     */
    public double[][] logits(int[] tokens) {
        int seqLen = tokens.length;
        int hidden = config.hiddenSize;
        if (seqLen == 0) {
            throw new IllegalArgumentException("empty token sequence");
        }
        if (config.slidingWindow > 0 && seqLen > config.slidingWindow) {
            throw new IllegalArgumentException("sequence longer than qwen2 sliding_window is not supported");
        }
        // x = embed_tokens[token]
        double[][] x = new double[seqLen][];
        for (int t = 0; t < seqLen; t++) {
            int tok = tokens[t];
            if (tok < 0 || tok >= config.vocabSize) {
                throw new IllegalArgumentException("token " + tok + " outside vocab of " + config.vocabSize);
            }
            x[t] = Arrays.copyOfRange(embedTokens, tok * hidden, (tok + 1) * hidden);
        }
        for (Layer layer : layers) {
            // h = x + o_proj(attention(input_layernorm(x)))
            double[][] normed = new double[seqLen][];
            for (int t = 0; t < seqLen; t++) {
                normed[t] = rmsNorm(x[t], layer.inputNorm);
            }
            double[][] attn = selfAttention(layer, normed);
            for (int t = 0; t < seqLen; t++) {
                addInPlace(x[t], attn[t]);
            }
            // x = h + down_proj(silu(gate_proj(n)) * up_proj(n)),  n = post_attention_layernorm(h)
            for (int t = 0; t < seqLen; t++) {
                addInPlace(x[t], mlp(layer, rmsNorm(x[t], layer.postAttentionNorm)));
            }
        }
        double[][] logits = new double[seqLen][];
        for (int t = 0; t < seqLen; t++) {
            logits[t] = linear(lmHead, null, rmsNorm(x[t], finalNorm), config.vocabSize, hidden);
        }
        return logits;
    }

    /** Causal multi-head / grouped-query self-attention over the whole (already normalised) sequence. */
    private double[][] selfAttention(Layer l, double[][] normed) {
        int seqLen = normed.length;
        int hidden = config.hiddenSize;
        int nHeads = config.numAttentionHeads;
        int nKv = config.numKeyValueHeads;
        int hd = config.headDim;
        double[][] q = new double[seqLen][];
        double[][] k = new double[seqLen][];
        double[][] v = new double[seqLen][];
        for (int t = 0; t < seqLen; t++) {
            q[t] = linear(l.wq, l.bq, normed[t], nHeads * hd, hidden);  // viewed as [nHeads, hd]
            k[t] = linear(l.wk, l.bk, normed[t], nKv * hd, hidden);     // viewed as [nKv, hd]
            v[t] = linear(l.wv, l.bv, normed[t], nKv * hd, hidden);
            // qwen3: q_norm / k_norm = RMSNorm over each head's head_dim slice, after the reshape, BEFORE RoPE.
            if (l.qNorm != null) {
                for (int h = 0; h < nHeads; h++) {
                    rmsNormSliceInPlace(q[t], h * hd, hd, l.qNorm);
                }
                for (int h = 0; h < nKv; h++) {
                    rmsNormSliceInPlace(k[t], h * hd, hd, l.kNorm);
                }
            }
            // RoPE on q and k (not v) at position id t.
            for (int h = 0; h < nHeads; h++) {
                ReferenceRope.applyInPlace(q[t], h * hd, t, invFreq);
            }
            for (int h = 0; h < nKv; h++) {
                ReferenceRope.applyInPlace(k[t], h * hd, t, invFreq);
            }
        }
        // GQA (HF repeat_kv): query head h reads kv head h / (nHeads / nKv).
        int groupSize = nHeads / nKv;
        double scale = 1.0 / Math.sqrt(hd);
        double[][] out = new double[seqLen][];
        for (int i = 0; i < seqLen; i++) {
            double[] heads = new double[nHeads * hd];  // concatenated head outputs, HF layout [nHeads * hd]
            for (int h = 0; h < nHeads; h++) {
                int kvOff = (h / groupSize) * hd;
                int qOff = h * hd;
                // scores over keys j <= i only (causal mask), scaled by 1/sqrt(head_dim)
                double[] scores = new double[i + 1];
                for (int j = 0; j <= i; j++) {
                    double dot = 0.0;
                    for (int d = 0; d < hd; d++) {
                        dot += q[i][qOff + d] * k[j][kvOff + d];
                    }
                    scores[j] = dot * scale;
                }
                double[] p = softmax(scores);
                for (int j = 0; j <= i; j++) {
                    for (int d = 0; d < hd; d++) {
                        heads[qOff + d] += p[j] * v[j][kvOff + d];
                    }
                }
            }
            out[i] = linear(l.wo, l.bo, heads, hidden, nHeads * hd);
        }
        return out;
    }

    /** SwiGLU MLP: down_proj(silu(gate_proj(n)) * up_proj(n)), no biases. */
    private double[] mlp(Layer l, double[] n) {
        int hidden = config.hiddenSize;
        int inter = config.intermediateSize;
        double[] gate = linear(l.wGate, null, n, inter, hidden);
        double[] up = linear(l.wUp, null, n, inter, hidden);
        double[] act = new double[inter];
        for (int i = 0; i < inter; i++) {
            act[i] = silu(gate[i]) * up[i];
        }
        return linear(l.wDown, null, act, hidden, inter);
    }

    /** HF RMSNorm: v / sqrt(mean(v^2) + eps) * weight. */
    private double[] rmsNorm(double[] v, double[] weight) {
        double[] out = v.clone();
        rmsNormSliceInPlace(out, 0, out.length, weight);
        return out;
    }

    private void rmsNormSliceInPlace(double[] v, int off, int len, double[] weight) {
        double sumSq = 0.0;
        for (int i = 0; i < len; i++) {
            sumSq += v[off + i] * v[off + i];
        }
        double inv = 1.0 / Math.sqrt(sumSq / len + config.rmsNormEps);
        for (int i = 0; i < len; i++) {
            v[off + i] = v[off + i] * inv * weight[i];
        }
    }

    /** y = W x (+ b), W stored [out, in] row-major (nn.Linear convention). */
    private static double[] linear(double[] w, double[] b, double[] x, int out, int in) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double acc = b == null ? 0.0 : b[o];
            int row = o * in;
            for (int i = 0; i < in; i++) {
                acc += w[row + i] * x[i];
            }
            y[o] = acc;
        }
        return y;
    }

    /** silu(z) = z * sigmoid(z) = z / (1 + e^-z). */
    private static double silu(double z) {
        return z / (1.0 + Math.exp(-z));
    }

    /** Numerically stable softmax (subtract the max). */
    private static double[] softmax(double[] s) {
        double max = Double.NEGATIVE_INFINITY;
        for (double e : s) {
            max = Math.max(max, e);
        }
        double sum = 0.0;
        double[] p = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            p[i] = Math.exp(s[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < s.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static void addInPlace(double[] acc, double[] delta) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += delta[i];
        }
    }

    private static double[] tensor(ReferenceSafetensors w, String name, int... expectedShape) {
        double[] data = w.get(name);  // throws "missing tensor: name"
        int[] shape = w.shape(name);
        if (!Arrays.equals(shape, expectedShape)) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape)
                    + ", expected " + Arrays.toString(expectedShape));
        }
        return data;
    }

    /**
     * Error of engine logits against reference logits, normalised by the reference vector's scale:
     * {@code max_i |engine[i] - reference[i]| / max(max_i |reference[i]|, 1e-6)}.
     * Element-wise relative error is meaningless for logits near zero, hence one scale for the whole vector.
     * Returns +infinity if the engine produced any NaN or infinity; throws if the lengths differ.
     */
    public static double maxRelativeError(float[] engine, double[] reference) {
        if (engine.length != reference.length) {
            throw new IllegalArgumentException("length mismatch: engine " + engine.length
                    + " vs reference " + reference.length);
        }
        double maxAbsDiff = 0.0;
        double maxAbsRef = 0.0;
        for (int i = 0; i < reference.length; i++) {
            if (!Float.isFinite(engine[i])) {
                return Double.POSITIVE_INFINITY;
            }
            maxAbsDiff = Math.max(maxAbsDiff, Math.abs(engine[i] - reference[i]));
            maxAbsRef = Math.max(maxAbsRef, Math.abs(reference[i]));
        }
        return maxAbsDiff / Math.max(maxAbsRef, 1e-6);
    }
}
