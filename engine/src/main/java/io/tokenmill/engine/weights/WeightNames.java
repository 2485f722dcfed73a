package io.tokenmill.engine.weights;

/** HF tensor names of the Llama/Qwen decoder, addressed in this one place. */
public final class WeightNames {
  public static final String EMBED = "model.embed_tokens.weight";
  public static final String FINAL_NORM = "model.norm.weight";
  public static final String LM_HEAD = "lm_head.weight";

  private WeightNames() {}

  public static String layer(int i, String suffix) {
    return "model.layers." + i + "." + suffix;
  }

  public static final String INPUT_NORM = "input_layernorm.weight";
  public static final String POST_NORM = "post_attention_layernorm.weight";
  public static final String Q = "self_attn.q_proj";
  public static final String K = "self_attn.k_proj";
  public static final String V = "self_attn.v_proj";
  public static final String O = "self_attn.o_proj";
  public static final String Q_NORM = "self_attn.q_norm.weight";
  public static final String K_NORM = "self_attn.k_norm.weight";
  public static final String GATE = "mlp.gate_proj.weight";
  public static final String UP = "mlp.up_proj.weight";
  public static final String DOWN = "mlp.down_proj.weight";
}
