#!/usr/bin/env bash
# Builds, on this machine, everything the GPU run needs on a machine without Java, Maven or internet
# (docs/GPU.md, "Run on a lent GPU machine"):
#   deploy/gpu/bundle/            the bundle, unpacked (the dry run uses it in place)
#     jre/                        jlinked Java 17 runtime: only the modules the jars need (+ JNI headers)
#     lib/*.jar                   engine, udfs, jobs and their runtime deps, minus the CPU libtorch
#                                 natives; multi-platform jars slimmed to linux-x86_64
#     djl-jni/include/            ai_djl_pytorch_jni_PyTorchLibrary.h, generated with javac -h from
#                                 DJL's pytorch-engine sources jar (Maven Central) - the JNI build needs it
#     djl-jni/published-cu128/    libdjl_torch.so DJL publishes in pytorch-jni (built for libtorch 2.7.1
#                                 cu128): the fallback when no DJL source checkout is carried
#     models/                     small random qwen2 / qwen3 / llama models (make-model, fp16) for numerics
#     MANIFEST.txt                versions and sizes
#   deploy/gpu/bundle.tar.xz      the same, as the one file carried to the GPU machine
# Fails unless the working tree plus what is carried fits the device tool's 64 MiB.
#   TOKENMILL_MVN_LOCK   lock file every Maven run goes through (default /tmp/tokenmill-mvn.lock)
#   TOKENMILL_XZ_LEVEL   xz preset for the archive (default 6: 44.8 MiB where 1 gave 54.1, ~1 min more on
#                        2 cores; the working tree's models need the room)
#   TOKENMILL_SKIP_PACKAGE=1  reuse jars already packaged by an earlier run (iterating on this script)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bundle="$here/bundle"
archive="$here/bundle.tar.xz"
lock="${TOKENMILL_MVN_LOCK:-/tmp/tokenmill-mvn.lock}"
limit=$((64 * 1024 * 1024))
t0=$SECONDS
say() { printf '[build-bundle %3ds] %s\n' $((SECONDS - t0)) "$*"; }

# Modules the jlinked runtime holds. jdeps (below) must find nothing outside this list except
# jdk.attach / jdk.jdi, which only javassist's HotSwapper uses (never called by Tokenmill).
# jdk.zipfs: DJL/jinjava read resources through zip file systems; jdk.crypto.ec is not needed (offline).
# java.rmi, java.scripting: log4j-core (JMX/JNDI and script-plugin classes, referenced though unused here).
modules="java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.rmi,java.scripting,java.sql,jdk.management,jdk.unsupported,jdk.zipfs"
unused_by_design="jdk.attach jdk.jdi"

for tool in java jlink jdeps javac zip unzip strip xz flock mvn; do
  command -v "$tool" >/dev/null || { echo "build-bundle: $tool is missing" >&2; exit 2; }
done

# 1. Jars: the same build bin/tokenmill runs, plus the jobs module's runtime classpath written to a file.
#    The GPU classpath is that classpath minus pytorch-native-cpu (what -Pgpu does); building without -Pgpu
#    keeps jobs/target/lib usable for bin/tokenmill on this machine.
cpfile="$root/jobs/target/runtime-classpath.txt"
if [ "${TOKENMILL_SKIP_PACKAGE:-0}" = 1 ] && [ -f "$cpfile" ]; then
  say "TOKENMILL_SKIP_PACKAGE=1: reusing the jars in */target"
else
  say "mvn package (under $lock) ..."
  (cd "$root" && flock "$lock" mvn -q -B -DskipTests -DskipShade package dependency:build-classpath \
      -Dmdep.outputFile=target/runtime-classpath.txt -DincludeScope=runtime >&2)
fi
jobs_jar="$(ls "$root"/jobs/target/tokenmill-jobs-*.jar | grep -v -e sources -e tests | head -n1)"
mapfile -t deps < <(tr ':' '\n' < "$cpfile" | grep -v '^$')
cpu_natives="$(printf '%s\n' "${deps[@]}" | grep '/pytorch-native-cpu-' || true)"
[ -n "$cpu_natives" ] || { echo "build-bundle: pytorch-native-cpu not on the runtime classpath; did the pom change?" >&2; exit 1; }
echo "$cpu_natives" > "$here/.cpu-natives-jar"   # for the dry run only; never in the bundle

rm -rf "$bundle" "$archive"
mkdir -p "$bundle/lib" "$bundle/djl-jni/include" "$bundle/djl-jni/published-cu128" "$bundle/models"
for j in "$jobs_jar" "${deps[@]}"; do
  case "$j" in */pytorch-native-cpu-*) continue ;; esac
  [ -f "$j" ] || { echo "build-bundle: $j is not a jar (was the reactor packaged?)" >&2; exit 1; }
  cp "$j" "$bundle/lib/"
done

# 2. Slim the multi-platform jars to linux-x86_64 (the device): Arrow's dataset JNI (also stripped of its
#    debug info: 82 -> 59 MB), DJL's tokenizers, JNA's dispatch libraries, DJL's PyTorch JNI builds. Then
#    store every jar uncompressed: xz over plain class files and .so files is about half the size of xz
#    over deflated jars, and the archive is what has to fit.
say "slimming jars to linux-x86_64, storing them uncompressed ..."
lib="$bundle/lib"
pjni="$(ls "$lib"/pytorch-jni-*.jar)"
(cd "$bundle/djl-jni/published-cu128" && unzip -q -j "$pjni" 'jnilib/linux-x86_64/cu128/libdjl_torch.so')
drop_patterns() { # jar name -> zip paths (regex) that the linux-x86_64 device never loads
  case "$1" in
    arrow-dataset-*) echo '^arrow_dataset_jni/(aarch_64/|.*\.(dylib|dll)$)' ;;
    tokenizers-*) echo '^native/lib/(win-|osx-|linux-aarch64/)' ;;
    jna-[0-9]*) echo '^com/sun/jna/[^/]+/.*jnidispatch' ;;
    pytorch-jni-*) echo '^jnilib/(win-|osx-|linux-aarch64/|linux-x86_64/cu128/)' ;;
    *) echo '^$' ;;
  esac
}
repack() { # jar: unpack, drop other platforms' natives, strip Arrow's .so, zip again stored
  local j="$1" tmp f
  tmp="$(mktemp -d)"
  (
    cd "$tmp"
    unzip -q "$j"
    unzip -Z1 "$j" | { grep -E "$(drop_patterns "$(basename "$j")")" || true; } \
      | { grep -v '^com/sun/jna/linux-x86-64/' || true; } | while read -r f; do [ -d "$f" ] || rm -f "$f"; done
    if [ -f arrow_dataset_jni/x86_64/libarrow_dataset_jni.so ]; then
      strip --strip-unneeded arrow_dataset_jni/x86_64/libarrow_dataset_jni.so
    fi
    find . -type d -empty -delete
    rm -f "$j"
    zip -q -0 -r -X "$j" .
  )
  rm -rf "$tmp"
}
for j in "$lib"/*.jar; do repack "$j"; done

# 3. The Java runtime.
say "jdeps + jlink ..."
tmp="$(mktemp -d)"
for j in "$lib"/*.jar; do cp "$j" "$tmp/"; done
for j in "$tmp"/*.jar; do zip -q -d "$j" module-info.class 'META-INF/versions/*/module-info.class' >/dev/null 2>&1 || true; done
needed="$(jdeps --multi-release 17 --ignore-missing-deps --print-module-deps -q --class-path "$tmp/*" "$tmp"/*.jar)"
rm -rf "$tmp"
missing=""
for m in ${needed//,/ }; do
  case ",$modules," in *",$m,"*) continue ;; esac
  case " $unused_by_design " in *" $m "*) continue ;; esac
  missing="$missing $m"
done
[ -z "$missing" ] || { echo "build-bundle: the jars now need module(s)$missing; add them to 'modules' in $0" >&2; exit 1; }
# No --compress: xz compresses the plain module image far better (the archive is what must fit).
jlink --add-modules "$modules" --strip-debug --no-man-pages --strip-native-debug-symbols=exclude-debuginfo-files \
  --output "$bundle/jre"
find "$bundle/jre" -name '*.so' -exec strip --strip-unneeded {} +
# JNI headers stay (jni.h, jni_md.h): the device builds DJL's JNI against them.

# 4. DJL's JNI header: javac -h over PyTorchLibrary.java from the pytorch-engine sources jar of the DJL
#    version on the classpath (the C++ sources themselves are not on Maven Central; docs/GPU.md).
engine_jar="$(printf '%s\n' "${deps[@]}" | grep '/pytorch-engine-[0-9]')"
djl_version="$(basename "$engine_jar" .jar)"; djl_version="${djl_version#pytorch-engine-}"
jni_version="$(basename "$pjni" .jar)"; jni_version="${jni_version#pytorch-jni-}"
say "DJL $djl_version, pytorch-jni $jni_version: JNI header ..."
src_jar="$HOME/.m2/repository/ai/djl/pytorch/pytorch-engine/$djl_version/pytorch-engine-$djl_version-sources.jar"
[ -f "$src_jar" ] || (cd "$root" && flock "$lock" mvn -q -B dependency:get -Dtransitive=false \
    -Dartifact="ai.djl.pytorch:pytorch-engine:$djl_version:jar:sources" >&2)
tmp="$(mktemp -d)"
(cd "$tmp" && unzip -q "$src_jar" && mkdir classes \
  && javac -nowarn -cp "$(tr '\n' ':' < <(printf '%s\n' "${deps[@]}"))" -sourcepath . -h "$bundle/djl-jni/include" \
       -d classes ai/djl/pytorch/jni/PyTorchLibrary.java 2>&1 | grep -v '^Note:' >&2 || true)
rm -rf "$tmp"
[ -f "$bundle/djl-jni/include/ai_djl_pytorch_jni_PyTorchLibrary.h" ] || { echo "build-bundle: javac -h wrote no header" >&2; exit 1; }

# 5. Small random models of the three families, written by the bundle itself (checks the runtime works).
#    fp16 files: the engine runs fp16 on CUDA; transformers widens them exactly for its fp32 reference.
say "test models (make-model on the bundled runtime) ..."
small="--set num_hidden_layers=4 --set hidden_size=128 --set intermediate_size=384 --set num_attention_heads=4 --set num_key_value_heads=2 --set vocab_size=2048 --set max_position_embeddings=2048"
export TOKENMILL_BUNDLE="$bundle" TOKENMILL_EXTRA_CP="$cpu_natives" TOKENMILL_THREADS=2
for family in qwen2:qwen2.5-0.5b-instruct qwen3:qwen3-0.6b llama:llama-3.2-1b-instruct; do
  name="${family%%:*}"; conf="${family#*:}"
  extra=""; [ "$name" != qwen2 ] && extra="--set head_dim=32"
  "$here/tokenmill-bundled.sh" make-model --config "$root/conf/models/$conf" --out "$bundle/models/$name-small" \
    --dtype f16 --seed 11 $small $extra >&2
done

# 6. The archive, and the size check: the device tool carries the working tree (tracked and untracked,
#    not ignored) plus the named ignored paths, 64 MiB in all.
say "xz archive ..."
{
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "java $(java -version 2>&1 | head -n1)"
  echo "jlink modules $modules"
  echo "djl $djl_version"
  echo "pytorch-jni $jni_version"
  echo "jars $(ls "$lib" | wc -l)"
} > "$bundle/MANIFEST.txt"
tar -C "$here" -cf - bundle | xz -T2 "-${TOKENMILL_XZ_LEVEL:-6}" > "$archive"
tree_bytes="$(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')"
archive_bytes="$(stat -c %s "$archive")"
mb() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
du_b() { du -sb "$1" | cut -f1; }
{
  echo "bundle (unpacked):"
  printf '  %-28s %s\n' "jre/" "$(mb "$(du_b "$bundle/jre")")"
  printf '  %-28s %s\n' "lib/ ($(ls "$lib" | wc -l) jars)" "$(mb "$(du_b "$lib")")"
  for j in arrow-dataset tokenizers pytorch-jni guava; do
    printf '  %-28s %s\n' "  of which $j" "$(mb "$(stat -c %s "$(ls "$lib"/$j-*.jar | head -n1)")")"
  done
  printf '  %-28s %s\n' "djl-jni/" "$(mb "$(du_b "$bundle/djl-jni")")"
  printf '  %-28s %s\n' "models/" "$(mb "$(du_b "$bundle/models")")"
  echo "carried to the device:"
  printf '  %-28s %s\n' "working tree" "$(mb "$tree_bytes")"
  printf '  %-28s %s\n' "deploy/gpu/bundle.tar.xz" "$(mb "$archive_bytes")"
  printf '  %-28s %s of %s\n' "total" "$(mb $((tree_bytes + archive_bytes)))" "$(mb $limit)"
} | tee "$here/bundle-size.txt"
if [ $((tree_bytes + archive_bytes)) -gt $limit ]; then
  echo "build-bundle: does not fit the device tool's 64 MiB" >&2; exit 1
fi
say "done"
