#!/usr/bin/env python3
"""Reads what run-on-device.sh left in $OUT and writes summary.json + summary.md: each step's status and
time, then the issue's figures (recorded, never asserted):
  - numerics: Tokenmill fp16 greedy tokens vs transformers fp16 and fp32, share of equal positions over
    the first N tokens (target >= 95%), transformers' own fp16-vs-fp32 max logit difference, and the
    fp32 logit margin wherever Tokenmill's token is not transformers' argmax;
  - bench: Tokenmill decode tok/s per batch against the measured-bandwidth roofline and the HBM spec
    roofline (target at batch 1 >= 50%); end-to-end tok/s vs transformers' static-batch generate (target
    at batch 256 >= 2x);
  - the demo job's run summary.
Python standard library only: it runs in the dry run on machines without torch.
"""
import argparse
import glob
import json
import os
import sys

# H200 SXM HBM3e: 4.8 TB/s (NVIDIA's datasheet figure); overridable for other GPUs.
DEFAULT_SPEC_GBPS = 4800.0


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def steps(out):
    rows = []
    path = os.path.join(out, "steps.tsv")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 3:
                    rows.append({"step": parts[0], "rc": int(parts[1]), "seconds": float(parts[2]),
                                 "note": parts[3] if len(parts) > 3 else ""})
    return rows


def agreement(a, b, n):
    m = min(len(a), len(b), n)
    if m == 0:
        return None
    eq = sum(1 for i in range(m) if a[i] == b[i])
    first = next((i for i in range(m) if a[i] != b[i]), None)
    return {"compared": m, "equal": eq, "share": eq / m, "first_difference": first}


def numerics(out, n):
    res = {}
    for tm_path in sorted(glob.glob(os.path.join(out, "numerics", "tokenmill-*.json"))):
        name = os.path.basename(tm_path)[len("tokenmill-"):-len(".json")]
        tm = load(tm_path)
        hf = load(os.path.join(out, "numerics", f"hf-{name}.json"))
        entry = {"tokenmill_tokens": None if tm is None else len(tm.get("completion_ids", [])),
                 "tokenmill_device": None if tm is None else tm.get("device")}
        if tm is not None and hf is not None:
            toks = tm["completion_ids"]
            entry["stub"] = hf.get("stub", False)
            entry["vs_hf_fp16"] = agreement(toks, hf["fp16"]["tokens"], n)
            entry["vs_hf_fp32"] = agreement(toks, hf["fp32"]["tokens"], n)
            entry["hf_fp16_vs_fp32"] = agreement(hf["fp16"]["tokens"], hf["fp32"]["tokens"], n)
            entry["hf_fp16_vs_fp32_max_abs_logit_diff"] = hf.get("fp16_vs_fp32_max_abs_logit_diff")
            entry["hf_fp16_vs_fp32_max_rel_logit_diff"] = hf.get("fp16_vs_fp32_max_rel_logit_diff")
            off = [r for r in hf.get("tokenmill_forced", []) if r["hf_argmax"] != r["tokenmill"]]
            entry["tokenmill_not_fp32_argmax"] = len(off)
            entry["max_margin_where_not_argmax"] = max((r["margin"] for r in off), default=0.0)
            entry["meets_95pct_vs_fp16"] = (entry["vs_hf_fp16"] or {}).get("share", 0) >= 0.95
        res[name] = entry
    return res


def e2e_tok_s(r, b):
    """Tokenmill bench row -> output tokens/s over prefill + decode, like generate()'s wall time."""
    p, g = r.get("prompt_len"), r.get("gen")
    prefill_s = b * p / r["prefill_tok_s"]
    decode_s = b * (g - 1) / r["decode_tok_s"]
    return b * g / (prefill_s + decode_s)


def bench(out, spec_gbps):
    paths = sorted(glob.glob(os.path.join(out, "bench", "bench-*.json")))
    tm = load(paths[-1]) if paths else None
    hf = load(os.path.join(out, "peer", "hf-bench.json"))
    sampled = load(os.path.join(out, "sampled", "run_summary.json"))
    res = {"tokenmill": None, "peer": None}
    if tm is not None:
        rows = []
        for r in tm["results"]:
            b = r["batch"]
            r = dict(r, prompt_len=tm["prompt_len"], gen=tm["gen"])
            row = {"batch": b, "decode_tok_s": r["decode_tok_s"], "prefill_tok_s": r["prefill_tok_s"],
                   "ms_per_decode_step": r["ms_per_decode_step"], "ratio_to_measured_roofline": r["ratio_to_roofline"],
                   "e2e_tok_s": e2e_tok_s(r, b)}
            if r.get("roofline_bound") == "bw" and tm.get("read_gb_s"):
                # same bytes-per-step model as the bench's roofline, at the datasheet bandwidth
                row["ratio_to_spec_roofline"] = r["ratio_to_roofline"] * tm["read_gb_s"] / spec_gbps
            rows.append(row)
        res["tokenmill"] = {"device": tm.get("device"), "read_gb_s": tm.get("read_gb_s"), "spec_gb_s": spec_gbps, "rows": rows}
        b1 = next((x for x in rows if x["batch"] == 1), None)
        if b1:
            res["batch1_ratio_to_measured_roofline"] = b1["ratio_to_measured_roofline"]
            res["batch1_meets_50pct"] = b1["ratio_to_measured_roofline"] >= 0.5
    if hf is not None:
        res["peer"] = {"stub": hf.get("stub", False), "results": hf["results"], "skipped": hf.get("skipped", [])}
    if res["tokenmill"] and hf is not None:
        ratios = {}
        for x in res["tokenmill"]["rows"]:
            peer = next((p for p in hf["results"] if p["mode"] == "greedy" and p["batch"] == x["batch"]), None)
            if peer and peer.get("output_tok_s"):
                ratios[str(x["batch"])] = x["e2e_tok_s"] / peer["output_tok_s"]
        res["greedy_e2e_ratio_vs_peer"] = ratios
        top = max((int(k) for k in ratios), default=None)
        if top is not None:
            res["largest_batch"] = top
            res["largest_batch_meets_2x"] = ratios[str(top)] >= 2.0
    if sampled is not None:
        res["tokenmill_sampled_job"] = {"output_tokens_per_s": sampled.get("output_tokens_per_s"),
                                        "wall_seconds": sampled.get("wall_seconds"),
                                        "rows": sampled.get("rows"), "tokens": sampled.get("tokens")}
    return res


def demo(out):
    s = load(os.path.join(out, "demo", "run_summary.json"))
    if s is None:
        return None
    keep = ("runner", "model", "wall_seconds", "output_tokens_per_s", "rows", "tokens", "mean_batch_occupancy")
    return {k: s.get(k) for k in keep if k in s} | {"executors": s.get("executors")}


def fmt(x, spec="{:.1f}"):
    return "-" if x is None else spec.format(x)


def markdown(summary):
    lines = [f"# GPU run ({'DRY RUN, CPU' if summary['dry_run'] else 'device'})", ""]
    env = summary.get("env") or {}
    if env:
        lines += [f"- {k}: {v}" for k, v in env.items()] + [""]
    lines += ["| step | rc | seconds | note |", "|---|---|---|---|"]
    lines += [f"| {s['step']} | {s['rc']} | {s['seconds']:.0f} | {s['note']} |" for s in summary["steps"]]
    lines += ["", "## Numerics (greedy, first %d tokens)" % summary["tokens_compared"], "",
              "| model | = HF fp16 | = HF fp32 | HF fp16 = fp32 | HF fp16-fp32 max abs logit diff | TM != fp32 argmax | max margin there |",
              "|---|---|---|---|---|---|---|"]
    for name, e in summary["numerics"].items():
        def share(a):
            return "-" if not a else f"{a['equal']}/{a['compared']} ({100 * a['share']:.0f}%)"
        lines.append(f"| {name} | {share(e.get('vs_hf_fp16'))} | {share(e.get('vs_hf_fp32'))} | "
                     f"{share(e.get('hf_fp16_vs_fp32'))} | {fmt(e.get('hf_fp16_vs_fp32_max_abs_logit_diff'), '{:.3g}')} | "
                     f"{e.get('tokenmill_not_fp32_argmax', '-')} | {fmt(e.get('max_margin_where_not_argmax'), '{:.3g}')} |")
    b = summary["bench"]
    if b.get("tokenmill"):
        t = b["tokenmill"]
        lines += ["", f"## Bench ({t['device']}; measured read {fmt(t['read_gb_s'])} GB/s, spec {fmt(t['spec_gb_s'], '{:.0f}')} GB/s)", "",
                  "| batch | decode tok/s | ms/step | vs measured roofline | vs spec roofline | e2e tok/s | HF greedy tok/s | ratio | HF sampled tok/s |",
                  "|---|---|---|---|---|---|---|---|---|"]
        peer = (b.get("peer") or {}).get("results", [])
        for x in t["rows"]:
            g = next((p for p in peer if p["mode"] == "greedy" and p["batch"] == x["batch"]), {})
            s = next((p for p in peer if p["mode"] == "sampled" and p["batch"] == x["batch"]), {})
            lines.append(f"| {x['batch']} | {fmt(x['decode_tok_s'])} | {fmt(x['ms_per_decode_step'], '{:.2f}')} | "
                         f"{fmt(100 * x['ratio_to_measured_roofline'], '{:.0f}%')} | "
                         f"{fmt(None if 'ratio_to_spec_roofline' not in x else 100 * x['ratio_to_spec_roofline'], '{:.0f}%')} | "
                         f"{fmt(x['e2e_tok_s'])} | {fmt(g.get('output_tok_s'))} | "
                         f"{fmt(b.get('greedy_e2e_ratio_vs_peer', {}).get(str(x['batch'])), '{:.2f}x')} | {fmt(s.get('output_tok_s'))} |")
    if b.get("tokenmill_sampled_job"):
        lines += ["", f"Tokenmill sampled (job runner, T=0.6, top-p 0.95): {fmt(b['tokenmill_sampled_job']['output_tokens_per_s'])} output tok/s"]
    if summary.get("demo"):
        d = summary["demo"]
        rows = d.get("rows") or {}
        lines += ["", f"## Demo job: {rows.get('ok')} ok / {rows.get('in_output')} rows, {fmt(d.get('output_tokens_per_s'))} output tok/s, {fmt(d.get('wall_seconds'))} s"]
    lines += ["", "## Targets (recorded, not asserted)", ""]
    for k, v in summary["targets"].items():
        lines.append(f"- {k}: {v}")
    return "\n".join(lines) + "\n"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="the run's $OUT")
    p.add_argument("--tokens", type=int, default=64, help="positions compared")
    p.add_argument("--spec-gbps", type=float, default=DEFAULT_SPEC_GBPS)
    p.add_argument("--dry-run", action="store_true")
    args = p.parse_args(argv)
    summary = {"dry_run": args.dry_run, "env": load(os.path.join(args.out, "env.json")), "steps": steps(args.out),
               "tokens_compared": args.tokens, "numerics": numerics(args.out, args.tokens),
               "bench": bench(args.out, args.spec_gbps), "demo": demo(args.out)}
    summary["targets"] = {
        "fp16 greedy = transformers fp16 on >= 95% of positions": {k: v.get("meets_95pct_vs_fp16") for k, v in summary["numerics"].items()},
        "decode at batch 1 >= 50% of the HBM roofline": summary["bench"].get("batch1_meets_50pct"),
        "throughput at the largest batch >= 2x transformers static batch": summary["bench"].get("largest_batch_meets_2x"),
    }
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    md = markdown(summary)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(md)
    sys.stdout.write(md)


if __name__ == "__main__":
    main(sys.argv[1:])
