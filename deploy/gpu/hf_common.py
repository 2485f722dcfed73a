"""What the transformers-side scripts (hf_reference.py, hf_bench.py) share."""


def load_model(path, dtype):
    """AutoModelForCausalLM in `dtype`, whichever keyword this transformers takes (torch_dtype, or dtype
    from 4.56 on): an unknown keyword is silently ignored by older versions, so the result is checked."""
    from transformers import AutoModelForCausalLM

    for kw in ("torch_dtype", "dtype"):
        m = AutoModelForCausalLM.from_pretrained(path, **{kw: dtype})
        if next(m.parameters()).dtype == dtype:
            return m
    raise SystemExit(f"transformers did not load {path} as {dtype}")
