#!/usr/bin/env python3
"""The peer for Tokenmill's `bench` on the GPU: transformers' generate() with a static batch, same model
directory, same shape of work (B random prompts of --prompt-len tokens, exactly --gen new tokens each:
min_new_tokens = max_new_tokens, EOS never stops a row), fp16, greedy and sampled.

Per batch it records the wall time of the whole generate() call (prefill included) and end-to-end output
tokens/s = B * gen / seconds, the figure gpu_report.py compares with Tokenmill's prefill + decode time.

--stub writes the same schema without torch ("stub": true, made-up seconds): the dry run checks plumbing.
"""
import argparse
import json
import sys
import time

from hf_common import load_model  # beside this script: python3 puts its folder on sys.path


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--batch", default="1,8,32,128,256", help="comma separated batch sizes")
    p.add_argument("--prompt-len", type=int, default=128)
    p.add_argument("--gen", type=int, default=64)
    p.add_argument("--modes", default="greedy,sampled")
    p.add_argument("--temperature", type=float, default=0.6)
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--deadline-s", type=float, default=0, help="skip what is left after this many seconds (0 = none)")
    p.add_argument("--out", required=True)
    p.add_argument("--stub", action="store_true")
    return p.parse_args(argv)


def row(mode, b, args, seconds):
    return {"mode": mode, "batch": b, "prompt_len": args.prompt_len, "gen": args.gen, "seconds": seconds,
            "output_tok_s": b * args.gen / seconds if seconds else None}


def main(argv):
    args = parse_args(argv)
    batches = [int(x) for x in args.batch.split(",") if x]
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in ("greedy", "sampled"):
            raise SystemExit(f"--modes: unknown mode {m}")
    res = {"stub": args.stub, "model": args.model, "dtype": "float16", "implementation": "transformers generate, static batch",
           "results": []}
    if args.stub:
        for m in modes:
            for b in batches:
                res["results"].append(row(m, b, args, 0.01 * b + 0.5))
    else:
        import torch
        import transformers

        res.update(torch=torch.__version__, transformers=transformers.__version__, gpu=torch.cuda.get_device_name(0))
        t0 = time.time()
        model = load_model(args.model, torch.float16).to(args.device).eval()
        res["load_seconds"] = time.time() - t0
        vocab = model.config.vocab_size
        gen = torch.Generator(device="cpu").manual_seed(42)
        pad = model.config.eos_token_id if isinstance(model.config.eos_token_id, int) else 0

        def generate(b, mode, gen_tokens):
            ids = torch.randint(0, vocab, (b, args.prompt_len), generator=gen).to(args.device)
            kw = dict(max_new_tokens=gen_tokens, min_new_tokens=gen_tokens, pad_token_id=pad,
                      attention_mask=torch.ones_like(ids))
            if mode == "sampled":
                kw.update(do_sample=True, temperature=args.temperature, top_p=args.top_p, top_k=0)
            else:
                kw.update(do_sample=False)
            torch.cuda.synchronize()
            t = time.time()
            with torch.no_grad():
                out = model.generate(ids, **kw)
            torch.cuda.synchronize()
            if out.shape[1] != args.prompt_len + gen_tokens:
                raise SystemExit(f"generate returned {out.shape[1] - args.prompt_len} new tokens, expected {gen_tokens}")
            return time.time() - t

        generate(2, "greedy", 4)  # warm-up (kernels, allocator)
        for m in modes:
            for b in batches:
                if args.deadline_s and time.time() - t0 > args.deadline_s:
                    res.setdefault("skipped", []).append({"mode": m, "batch": b})
                    continue
                s = generate(b, m, args.gen)
                res["results"].append(row(m, b, args, s))
                print(f"{m:8s} batch {b:4d}: {s:7.2f} s, {b * args.gen / s:10.1f} tok/s", flush=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"wrote {args.out}" + (" (stub)" if args.stub else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
