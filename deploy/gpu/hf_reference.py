#!/usr/bin/env python3
"""Transformers' own implementation of a model directory, as the numerics reference for the GPU run.

Given Tokenmill's `complete --format json` output for the same model and prompt ids, this writes one JSON
with, for fp32 and fp16 on the same GPU:
  - greedy tokens for --new-tokens steps (a manual loop over logits: EOS is not a stop, like the bench),
  - the largest |logit| difference between fp16 and fp32 over that fp32 sequence (teacher forced),
  - Tokenmill's tokens teacher-forced through fp32: at each position transformers' argmax, Tokenmill's
    token, and the logit margin between them (a disagreement with a margin near fp16 noise is a tie, not a
    bug).
Token agreement itself is computed by gpu_report.py, which reads this file.

--stub writes the same schema without torch (Tokenmill's tokens copied, differences 0, "stub": true): the
dry run on a machine without torch checks the plumbing, never numbers.
"""
import argparse
import json
import sys
import time

from hf_common import load_model  # beside this script: python3 puts its folder on sys.path


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="Hugging Face model directory")
    p.add_argument("--tokenmill", required=True, help="Tokenmill's complete --format json output")
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--out", required=True)
    p.add_argument("--stub", action="store_true", help="no torch: write the schema with placeholder values")
    return p.parse_args(argv)


def load_tokenmill(path):
    with open(path) as f:
        tm = json.load(f)
    for key in ("prompt_ids", "completion_ids"):
        if not isinstance(tm.get(key), list):
            raise SystemExit(f"{path}: no '{key}' list (is it `complete --format json` output?)")
    return tm


def stub_result(args, tm):
    toks = tm["completion_ids"][: args.new_tokens]
    side = {"tokens": toks, "seconds": 0.0}
    return {
        "stub": True,
        "model": args.model,
        "prompt_ids": tm["prompt_ids"],
        "new_tokens": args.new_tokens,
        "fp32": side,
        "fp16": dict(side),
        "fp16_vs_fp32_max_abs_logit_diff": 0.0,
        "fp16_vs_fp32_max_rel_logit_diff": 0.0,
        "tokenmill_forced": [{"pos": i, "hf_argmax": t, "tokenmill": t, "margin": 0.0} for i, t in enumerate(toks)],
    }


def run(args, tm):
    import torch
    prompt = torch.tensor([tm["prompt_ids"]], device=args.device)

    def load(dtype):
        m = load_model(args.model, dtype).to(args.device)
        m.eval()
        return m

    @torch.no_grad()
    def greedy(model):
        torch.cuda.synchronize()
        t0 = time.time()
        out = model(prompt, use_cache=True)
        past, toks = out.past_key_values, []
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        for _ in range(args.new_tokens):
            toks.append(int(nxt))
            out = model(nxt, past_key_values=past, use_cache=True)
            past = out.past_key_values
            nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        torch.cuda.synchronize()
        return {"tokens": toks, "seconds": time.time() - t0}

    @torch.no_grad()
    def forced_logits(model, continuation):
        ids = torch.cat([prompt, torch.tensor([continuation], device=args.device)], dim=1)
        # logits that predict each continuation token: positions P-1 .. P+n-2
        return model(ids).logits[0, prompt.shape[1] - 1 : ids.shape[1] - 1].float()

    res = {"stub": False, "model": args.model, "prompt_ids": tm["prompt_ids"], "new_tokens": args.new_tokens,
           "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}
    m32 = load(torch.float32)
    res["fp32"] = greedy(m32)
    ref = forced_logits(m32, res["fp32"]["tokens"])
    tm_toks = tm["completion_ids"][: args.new_tokens]
    forced = []
    if tm_toks:
        lg = forced_logits(m32, tm_toks)
        for i, t in enumerate(tm_toks):
            top = int(lg[i].argmax())
            forced.append({"pos": i, "hf_argmax": top, "tokenmill": t, "margin": float(lg[i, top] - lg[i, t])})
    res["tokenmill_forced"] = forced
    del m32
    torch.cuda.empty_cache()
    m16 = load(torch.float16)
    res["fp16"] = greedy(m16)
    got = forced_logits(m16, res["fp32"]["tokens"])
    diff = (got - ref).abs()
    res["fp16_vs_fp32_max_abs_logit_diff"] = float(diff.max())
    res["fp16_vs_fp32_max_rel_logit_diff"] = float((diff.max(-1).values / ref.abs().max(-1).values).max())
    return res


def main(argv):
    args = parse_args(argv)
    tm = load_tokenmill(args.tokenmill)
    res = stub_result(args, tm) if args.stub else run(args, tm)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"wrote {args.out}" + (" (stub)" if res["stub"] else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
