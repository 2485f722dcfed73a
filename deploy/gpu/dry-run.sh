#!/usr/bin/env bash
# The GPU run rehearsed on this CPU machine, so the first real run is not spent debugging (CI runs this
# after `mvn -B verify`). It builds the bundle (unless TOKENMILL_SKIP_BUNDLE=1), unpacks the very archive
# that would be carried, runs run-on-device.sh with TOKENMILL_GPU_DRY_RUN=1 and checks:
#   - every script parses (bash -n, py_compile) and the device command in docs/GPU.md is the one in
#     run-on-device.sh's header;
#   - the bundled Java runtime and jars run the CLI with DJL pointed at libtorch exactly as on the GPU
#     (PYTORCH_LIBRARY_PATH + the JNI placed in ENGINE_CACHE_DIR, no natives jar on the classpath);
#   - every step exits 0: complete (3 families), make-model, bench, the transformers steps (--stub without
#     torch), the demo job and the sampled job through the Arrow runner;
#   - gpu_report.py parses all of it: 3 numerics models, bench rows for each batch with a peer ratio, the
#     demo summary.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
t0=$SECONDS
fail() { echo "dry-run: FAIL: $*" >&2; exit 1; }

for s in "$here"/*.sh; do bash -n "$s" || fail "$s does not parse"; done
python3 -m py_compile "$here"/*.py || fail "a Python script does not compile"
rm -rf "$here/__pycache__"
cmd="$(sed -n 's/^#   \(run(command=.*)\)$/\1/p' "$here/run-on-device.sh")"
[ -n "$cmd" ] || fail "run-on-device.sh has no run(...) line in its header"
grep -qF "$cmd" "$root/docs/GPU.md" || fail "docs/GPU.md does not show the device call: $cmd"

[ "${TOKENMILL_SKIP_BUNDLE:-0}" = 1 ] || "$here/build-bundle.sh"

rm -rf "$here/dry-run"
export TOKENMILL_GPU_DRY_RUN=1 OUT="$here/dry-run/out" TOKENMILL_GPU_WORK="$here/dry-run/work"
bash "$here/run-on-device.sh" || fail "run-on-device.sh exited $?"

python3 - "$OUT" <<'EOF' || fail "the summary is incomplete (above)"
import json, sys
out = sys.argv[1]
s = json.load(open(f"{out}/summary.json"))
problems = []
expected = ["unpack", "jni", "smoke", "numerics", "model", "bench", "peer", "demo", "sampled"]
got = {st["step"]: st["rc"] for st in s["steps"]}
for name in expected:
    if got.get(name) != 0:
        problems.append(f"step {name}: rc {got.get(name)}")
if sorted(s["numerics"]) != ["llama-small", "qwen2-small", "qwen3-small"]:
    problems.append(f"numerics models: {sorted(s['numerics'])}")
for name, e in s["numerics"].items():
    if not e.get("vs_hf_fp16") or e["vs_hf_fp16"]["compared"] == 0:
        problems.append(f"numerics {name}: nothing compared")
b = s["bench"]
rows = (b.get("tokenmill") or {}).get("rows", [])
if [r["batch"] for r in rows] != [1, 2]:
    problems.append(f"bench rows: {[r['batch'] for r in rows]}")
if sorted(b.get("greedy_e2e_ratio_vs_peer", {})) != ["1", "2"]:
    problems.append(f"peer ratios: {b.get('greedy_e2e_ratio_vs_peer')}")
if not (b.get("tokenmill_sampled_job") or {}).get("output_tokens_per_s"):
    problems.append("sampled job: no output_tokens_per_s")
if not (s.get("demo") or {}).get("rows", {}).get("ok"):
    problems.append(f"demo: {s.get('demo')}")
for p in problems:
    print("  -", p)
sys.exit(1 if problems else 0)
EOF
echo "dry-run: OK in $((SECONDS - t0)) s (summary: $OUT/summary.md)"
