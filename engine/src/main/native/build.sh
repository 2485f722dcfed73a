#!/usr/bin/env bash
# Builds the engine's native CPU kernels (*.c here: decode attention, decode layers, their threads) into the jar's resources, for
# io.tokenmill.engine.runtime.NativeKernels to load. Run by Maven (engine/pom.xml, process-classes) with the
# output folder as $1 and the JDK home as $2. No C compiler or no jni.h: it says so and exits 0 — the jar then
# has no kernels and the engine runs its DJL path (NativeKernels.status() says why).
set -euo pipefail
out_dir="$1"
java_home="${2:-${JAVA_HOME:-}}"
src_dir="$(cd "$(dirname "$0")" && pwd)"
cc="${CC:-cc}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x86_64 ;;
  Linux-aarch64) platform=linux-aarch64 ;;
  *) echo "tokenmill native kernels: $(uname -s)-$(uname -m) is not built for; the engine runs its DJL path"; exit 0 ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "tokenmill native kernels: no C compiler ($cc); the engine runs its DJL path"
  exit 0
fi
include="$java_home/include"
[ -f "$include/jni.h" ] || include="$java_home/../include" # a JRE inside a JDK (Java 8 layout)
if [ ! -f "$include/jni.h" ]; then
  echo "tokenmill native kernels: no jni.h under $java_home; the engine runs its DJL path"
  exit 0
fi
target="$out_dir/io/tokenmill/engine/runtime/native/$platform/libtokenmill-kernels.so"
mkdir -p "$(dirname "$target")"
up_to_date=1
for src in "$src_dir"/*.c "$src_dir"/*.h "$0"; do [ -f "$target" ] && [ "$target" -nt "$src" ] || up_to_date=0; done
if [ "$up_to_date" = 1 ]; then exit 0; fi
# -fno-math-errno lets floorf and friends vectorise; no -ffast-math: sums keep their order.
if "$cc" -O3 -fno-math-errno -fPIC -shared -Wall -Wextra -Wno-psabi -I"$include" -I"$include/linux" \
    "$src_dir"/*.c -o "$target.tmp" -lm -lpthread; then
  mv -f "$target.tmp" "$target"
  echo "tokenmill native kernels: built $target"
else
  rm -f "$target.tmp"
  # CI sets TOKENMILL_REQUIRE_NATIVE=1: there a kernel that does not compile is a failure, not a fallback.
  if [ "${TOKENMILL_REQUIRE_NATIVE:-0}" = 1 ]; then echo "tokenmill native kernels: $cc failed" >&2; exit 1; fi
  echo "tokenmill native kernels: $cc failed; the engine runs its DJL path"
fi
