#!/usr/bin/env bash
# The GPU check in one command, on a lent GPU machine (no Java, no Maven, no internet; CUDA, CMake, ninja,
# g++, Python with torch + transformers). Prepare here first: deploy/gpu/build-bundle.sh. Then the device
# tool call is exactly:
#
#   run(command="bash deploy/gpu/run-on-device.sh", carry=["deploy/gpu/bundle.tar.xz"], timeout_s=600)
#
# (add "deploy/gpu/djl-src" to carry when a DJL v0.36.0 checkout has been placed there: the JNI is then
# built from source against the machine's torch; without it DJL's published cu128 libdjl_torch.so is tried.)
# Everything lands in $OUT: steps.tsv, logs/, numerics/, bench/, peer/, demo/, sampled/, summary.{json,md}.
#
# Steps, each with a time limit, inside one overall budget (default 520 s, under the issue's 9 minutes):
#   unpack    bundle.tar.xz -> $TOKENMILL_GPU_WORK (a Java runtime, the jars, DJL's JNI header, test models)
#   jni       libdjl_torch.so for this machine's torch, put where DJL looks for it
#   smoke     `complete` of 2 tokens on gpu:0: if the JNI does not load, the Java steps are skipped
#   numerics  (a) `complete` fp16 on gpu:0, 64 greedy tokens, qwen2/qwen3/llama, vs transformers fp16/fp32
#   model     an R1-Distill-Qwen-1.5B-shaped random fp16 model written by make-model (3 GB: made here)
#   bench     (b) `bench` greedy at batch 1/8/32/128/256 with the roofline
#   peer      (c) transformers generate(), static batch, greedy and sampled, same model and shapes
#   demo      (d) the demo job (conf/local.yaml) on gpu:0 through the Arrow runner (Spark is not bundled)
#   sampled   (b) sampled decoding (T 0.6, top-p 0.95) at batch 256 through the job runner
#   report    gpu_report.py -> summary.md (printed) and summary.json
#
# TOKENMILL_GPU_DRY_RUN=1 runs the same steps on this CPU machine (deploy/gpu/dry-run.sh): DJL is pointed
# at the CPU libtorch the same way (PYTORCH_LIBRARY_PATH + the JNI in ENGINE_CACHE_DIR), sizes are tiny,
# the JNI build is skipped and the Python steps write their JSON with --stub when torch is absent.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

dry="${TOKENMILL_GPU_DRY_RUN:-0}"
if [ "$dry" = 1 ]; then
  export OUT="${OUT:-$here/dry-run/out}"
  export TOKENMILL_GPU_WORK="${TOKENMILL_GPU_WORK:-$here/dry-run/work}"
else
  export OUT="${OUT:?set OUT (the device tool sets it)}"
  export TOKENMILL_GPU_WORK="${TOKENMILL_GPU_WORK:-/tmp/tokenmill-gpu}"
fi
work="$TOKENMILL_GPU_WORK"
bundle="$work/bundle"
tm() { bash "$here/tokenmill-bundled.sh" "$@"; }   # bash: the device copy may not keep file modes
export TOKENMILL_BUNDLE="$bundle"
djl_version=0.36.0   # the pytorch-engine version in the bundle (checked against MANIFEST.txt in 'unpack')
numerics_prompt="5,17,42,99,123,256,511,777,31,64,128,300,900,7,250,640"

if [ "$dry" = 1 ]; then
  device=cpu
  r1_sets="--set num_hidden_layers=2 --set hidden_size=128 --set intermediate_size=256 --set num_attention_heads=4 --set num_key_value_heads=2 --set vocab_size=2048"
  bench_batches=1,2; bench_prompt=8; bench_gen=4; numerics_tokens=16
  sampled_rows=4; demo_sets="--set input.limit=4 --set generation.max_new_tokens=16"
else
  device=gpu:0
  r1_sets=""
  bench_batches=1,8,32,128,256; bench_prompt=128; bench_gen=64; numerics_tokens=64
  sampled_rows=256; demo_sets=""
fi

# ---------------------------------------------------------------- one step (run as: run-on-device.sh --step NAME)
step_unpack() {
  if [ -x "$bundle/jre/bin/java" ] && [ "${TOKENMILL_GPU_FRESH:-0}" != 1 ]; then echo "bundle already at $bundle"; return 0; fi
  local archive="$here/bundle.tar.xz"
  [ -f "$archive" ] || { echo "no $archive: run deploy/gpu/build-bundle.sh here and carry it"; return 3; }
  rm -rf "$bundle" && mkdir -p "$work"
  if command -v xz >/dev/null; then tar -C "$work" -xJf "$archive"
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$archive" "$work"; fi
  cat "$bundle/MANIFEST.txt"
  grep -q "^djl $djl_version\$" "$bundle/MANIFEST.txt" || { echo "bundle is not DJL $djl_version: update djl_version in $0"; return 3; }
  "$bundle/jre/bin/java" -version
}

step_jni() {
  mkdir -p "$(dirname "$JNI_DEST")"
  if [ "$dry" = 1 ]; then
    # CPU: DJL's own CPU build of the JNI, placed exactly where the GPU run places the one it builds.
    (cd "$work" && unzip -o -q -j "$(ls "$bundle"/lib/pytorch-jni-*.jar)" 'jnilib/linux-x86_64/cpu/libdjl_torch.so' -d jni-cpu)
    cp "$work/jni-cpu/libdjl_torch.so" "$JNI_DEST"
    bash -n "$here/build-djl-jni.sh"
    echo "dry run: JNI build skipped (no CUDA torch here); CPU JNI at $JNI_DEST"
    return 0
  fi
  local src="${DJL_SRC:-$here/djl-src}"
  if [ -d "$src/engines/pytorch/pytorch-native" ]; then
    echo "building the JNI from $src ($(cd "$src" && git describe --tags 2>/dev/null || echo 'no git tag'))"
    if bash "$here/build-djl-jni.sh" "$src" "$bundle/djl-jni/include" "$bundle/jre" "$work/djl-jni-build" "$JNI_DEST"; then
      echo "JNI_SOURCE=built-from-source" > "$work/jni-source"
      ldd -r "$JNI_DEST" 2>&1 | grep -c 'undefined symbol' | sed 's/^/undefined symbols: /'
      return 0
    fi
    echo "JNI build FAILED (log above); falling back to DJL's published cu128 build"
  else
    echo "no DJL source checkout at $src: trying DJL's published cu128 libdjl_torch.so (built for libtorch 2.7.1)"
  fi
  cp "$bundle/djl-jni/published-cu128/libdjl_torch.so" "$JNI_DEST"
  echo "JNI_SOURCE=published-cu128" > "$work/jni-source"
  local undefined
  undefined="$(ldd -r "$JNI_DEST" 2>&1 | grep 'undefined symbol' || true)"
  echo "undefined symbols against torch $PYTORCH_VERSION: $(printf '%s' "$undefined" | grep -c . || true)"
  printf '%s\n' "$undefined" | head -n 20
  [ -z "$undefined" ] || { echo "the published JNI does not match this torch (ABI): place a DJL v$djl_version checkout in deploy/gpu/djl-src and carry it"; return 4; }
}

step_smoke() {
  tm complete --model "$bundle/models/qwen2-small" --prompt-ids 1,2,3 --max-new-tokens 2 --device "$device" --format json
}

step_numerics() {
  mkdir -p "$OUT/numerics"
  local rc=0 m name
  for m in "$bundle"/models/*-small; do
    name="$(basename "$m")"
    if [ -f "$work/java-ok" ]; then
      tm complete --model "$m" --prompt-ids "$numerics_prompt" --max-new-tokens "$numerics_tokens" \
        --device "$device" --format json > "$OUT/numerics/tokenmill-$name.json" || { rc=1; continue; }
    else
      echo "Java side unavailable (smoke failed): transformers only for $name"
      printf '{"prompt_ids": [%s], "completion_ids": []}\n' "$numerics_prompt" > "$OUT/numerics/tokenmill-$name.json"
    fi
    python3 "$here/hf_reference.py" $PY_STUB --model "$m" --tokenmill "$OUT/numerics/tokenmill-$name.json" \
      --new-tokens "$numerics_tokens" --out "$OUT/numerics/hf-$name.json" || rc=1
  done
  return $rc
}

step_model() {
  local t0=$SECONDS
  tm make-model --config conf/models/deepseek-r1-distill-qwen-1.5b --out "$R1" --dtype f16 --seed 1 --force $r1_sets
  echo "make-model: $((SECONDS - t0)) s, $(du -sh "$R1" | cut -f1)"
}

step_bench() {
  tm bench --model "$R1" --batch "$bench_batches" --prompt-len "$bench_prompt" --gen "$bench_gen" \
    --device "$device" --out "$OUT/bench"
}

step_peer() {
  mkdir -p "$OUT/peer"
  python3 "$here/hf_bench.py" $PY_STUB --model "$R1" --batch "$bench_batches" --prompt-len "$bench_prompt" \
    --gen "$bench_gen" --deadline-s "$((${STEP_LIMIT:-120} - 10))" --out "$OUT/peer/hf-bench.json"
}

job() { # output dir, then --set arguments
  local out="$1"; shift
  # Hadoop (50 MB) and Spark are not in the bundle: the demo runs through the Spark-free Arrow runner.
  bash "$here/tokenmill-bundled.sh" run -c conf/local.yaml --set engine.device="$device" --set job.runner=local --set output.path="$out" \
    --set output.mode=overwrite --set job.progress=false "$@"
}

step_demo() {
  mkdir -p "$OUT/demo"
  job "$work/demo-out" $demo_sets && cp "$work/demo-out/run_summary.json" "$OUT/demo/"
}

step_sampled() {
  mkdir -p "$OUT/sampled"
  python3 - "$work/sampled-prompts.jsonl" "$sampled_rows" <<'EOF'
import json, random, sys
rng = random.Random(7)
words = "alpha beta gamma delta number answer think step sum prime seven eleven".split()
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"id": i, "prompt": " ".join(rng.choice(words) for _ in range(40))}) + "\n")
EOF
  job "$work/sampled-out" --set input.path="$work/sampled-prompts.jsonl" --set model.path="$R1" \
    --set generation.temperature=0.6 --set generation.top_p=0.95 --set generation.max_new_tokens="$bench_gen" \
    --set engine.max_batch="$sampled_rows" --set job.examples=0 \
    && cp "$work/sampled-out/run_summary.json" "$OUT/sampled/"
}

# ---------------------------------------------------------------- the environment DJL needs (shared by steps)
setup_env() {
  export R1="$work/models/r1-distill-qwen-1.5b"
  export ENGINE_CACHE_DIR="$work/djl-cache"
  if [ "$dry" = 1 ]; then
    local natives
    natives="$(cat "$here/.cpu-natives-jar" 2>/dev/null || true)"
    if [ ! -f "$work/libtorch-cpu/libtorch.so" ]; then
      [ -f "$natives" ] || { echo "dry run: no CPU natives jar (run build-bundle.sh)"; return 3; }
      mkdir -p "$work/libtorch-cpu" && (cd "$work/libtorch-cpu" && unzip -o -q -j "$natives" 'pytorch/cpu/linux-x86_64/*')
    fi
    export PYTORCH_LIBRARY_PATH="$work/libtorch-cpu" PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu
    python3 -c 'import torch' 2>/dev/null && export PY_STUB="" || export PY_STUB="--stub"
  else
    local info
    info="$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__), torch.__version__.split("+")[0], (torch.version.cuda or "").replace(".", ""))')" \
      || { echo "python3 cannot import torch"; return 3; }
    set -- $info
    export PYTORCH_LIBRARY_PATH="$1/lib" PYTORCH_VERSION="$2" PYTORCH_FLAVOR="cu$3"
    # DJL counts GPUs through JNA's dlopen of cudart: the torch wheel's CUDA runtime, else the toolkit's.
    local cudart
    cudart="$(python3 -c '
import glob, os, torch
base = os.path.dirname(os.path.dirname(torch.__file__))
dirs = sorted({os.path.dirname(p) for p in glob.glob(os.path.join(base, "nvidia", "**", "libcudart.so*"), recursive=True)})
print(":".join(dirs))')"
    cudart="${cudart:+$cudart:}${CUDA_HOME:-/usr/local/cuda}/lib64"
    export LD_LIBRARY_PATH="$PYTORCH_LIBRARY_PATH:$cudart${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export TOKENMILL_JAVA_OPTS="${TOKENMILL_JAVA_OPTS:-} -Djna.library.path=$cudart -Xmx24g"
    export PY_STUB=""
  fi
  export JNI_DEST="$ENGINE_CACHE_DIR/pytorch/$PYTORCH_VERSION-$PYTORCH_FLAVOR-linux-x86_64/$djl_version-libdjl_torch.so"
}

write_env_json() {
  python3 - "$OUT/env.json" "$dry" <<'EOF'
import json, os, platform, subprocess, sys
env = {"dry_run": sys.argv[2] == "1", "host": platform.node(), "cpus": os.cpu_count(),
       "PYTORCH_LIBRARY_PATH": os.environ.get("PYTORCH_LIBRARY_PATH"), "PYTORCH_VERSION": os.environ.get("PYTORCH_VERSION"),
       "PYTORCH_FLAVOR": os.environ.get("PYTORCH_FLAVOR"), "ENGINE_CACHE_DIR": os.environ.get("ENGINE_CACHE_DIR")}
try:
    import torch
    env["torch"] = torch.__version__
    env["cuda"] = torch.version.cuda
    if torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(0)
        env["gpu_memory_gib"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
    import transformers
    env["transformers"] = transformers.__version__
except ImportError as e:
    env["python_missing"] = str(e)
try:
    env["nvidia_smi"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                                       capture_output=True, text=True, timeout=20).stdout.strip()
except (OSError, subprocess.SubprocessError):
    pass
json.dump(env, open(sys.argv[1], "w"), indent=1)
EOF
}

# ---------------------------------------------------------------- driver
if [ "${1:-}" = --step ]; then
  setup_env || exit 3
  "step_$2"
  exit $?
fi

budget="${TOKENMILL_GPU_BUDGET_S:-520}"
t_start=$SECONDS
mkdir -p "$OUT/logs"
: > "$OUT/steps.tsv"
run_step() { # name, limit seconds
  local name="$1" limit="$2" left rc t0 note=""
  left=$((budget - (SECONDS - t_start) - 15))   # 15 s kept for the report
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -lt 5 ]; then
    printf '%s\t%s\t%s\t%s\n' "$name" 124 0 "skipped: budget spent" >> "$OUT/steps.tsv"
    echo "== $name: skipped (budget spent)"; return 124
  fi
  echo "== $name (limit ${limit}s) ..."
  t0=$SECONDS
  STEP_LIMIT=$limit timeout -k 5 "$limit" bash "$0" --step "$name" > "$OUT/logs/$name.log" 2>&1
  rc=$?
  [ $rc -eq 124 ] && note="timed out after ${limit}s"
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" $((SECONDS - t0)) "$note" >> "$OUT/steps.tsv"
  echo "== $name: rc $rc, $((SECONDS - t0)) s $note"
  tail -n "$([ $rc -eq 0 ] && echo 4 || echo 25)" "$OUT/logs/$name.log" | sed 's/^/   /'
  return $rc
}

rm -f "$work/java-ok"
run_step unpack 60 || { echo "no bundle, nothing to run"; exit 3; }
setup_env > "$OUT/logs/env.log" 2>&1 || { cat "$OUT/logs/env.log"; exit 3; }
write_env_json
cat "$OUT/env.json"
run_step jni 240
run_step smoke 60 && touch "$work/java-ok"
run_step numerics 120
run_step model 120
java_ok() { [ -f "$work/java-ok" ] && [ -d "$R1" ]; }
if java_ok; then run_step bench 150; else printf 'bench\t125\t0\tskipped: no Java GPU path or model\n' >> "$OUT/steps.tsv"; fi
if [ -f "$R1/config.json" ]; then run_step peer 120; fi
if [ -f "$work/java-ok" ]; then run_step demo 90; fi
if java_ok; then run_step sampled 90; fi
python3 "$here/gpu_report.py" --out "$OUT" --tokens "$numerics_tokens" $([ "$dry" = 1 ] && echo --dry-run)
echo "total $((SECONDS - t_start)) s"
