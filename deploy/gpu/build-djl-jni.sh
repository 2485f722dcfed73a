#!/usr/bin/env bash
# Builds DJL's PyTorch JNI (libdjl_torch.so) against the libtorch of the machine's own torch package, with
# DJL's own CMakeLists.txt, from a DJL source checkout at the tag of the DJL version in use (v0.36.0).
#   build-djl-jni.sh DJL_SRC HEADER_DIR JAVA_HOME BUILD_DIR OUT_SO
# DJL_SRC      a checkout of github.com/deepjavalibrary/djl (needs engines/pytorch/pytorch-native and
#              api/src/main/native); Maven Central does not carry these C++ sources (docs/GPU.md)
# HEADER_DIR   holds ai_djl_pytorch_jni_PyTorchLibrary.h (build-bundle.sh generates it with javac -h)
# JAVA_HOME    a Java runtime with include/jni.h and lib/server/libjvm.so (the bundle's jlinked one)
# The torch package is the one `python3 -c 'import torch'` finds; CUDA from CUDA_HOME or /usr/local/cuda.
# What DJL's build.sh does, minus its libtorch download: javac -h, cmake with USE_CUDA, build.
set -euo pipefail
[ $# -eq 5 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
src="$1" headers="$2" jhome="$3" build="$4" out_so="$5"
native="$src/engines/pytorch/pytorch-native"
for f in "$native/CMakeLists.txt" "$native/src/main/native" "$src/api/src/main/native/djl/utils.h" \
         "$headers/ai_djl_pytorch_jni_PyTorchLibrary.h" "$jhome/include/jni.h" "$jhome/lib/server/libjvm.so"; do
  [ -e "$f" ] || { echo "build-djl-jni: missing $f" >&2; exit 3; }
done
for tool in cmake ninja g++ python3; do command -v "$tool" >/dev/null || { echo "build-djl-jni: $tool is missing" >&2; exit 3; }; done

# DJL's CMakeLists includes build/include (relative to its folder) and ../../../api/src/main/native:
# copy both into the build folder with the same layout, so the checkout itself is never written to.
rm -rf "$build"
mkdir -p "$build/engines/pytorch" "$build/api/src/main"
cp -r "$native" "$build/engines/pytorch/"
cp -r "$src/api/src/main/native" "$build/api/src/main/"
work="$build/engines/pytorch/pytorch-native"
rm -rf "$work/build" && mkdir -p "$work/build/include"
cp "$headers"/*.h "$work/build/include/"

prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
cuda="${CUDA_HOME:-/usr/local/cuda}"
use_cuda=1
[ "${TOKENMILL_JNI_CPU:-0}" = 1 ] && use_cuda=0
echo "build-djl-jni: torch $(python3 -c 'import torch; print(torch.__version__)') at $prefix, CUDA $cuda, USE_CUDA=$use_cuda"
export JAVA_HOME="$jhome" CUDA_HOME="$cuda" CUDACXX="$cuda/bin/nvcc" TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
cmake -G Ninja -S "$work" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCUDAToolkit_ROOT="$cuda" -DUSE_CUDA="$use_cuda" \
  -DJAVA_INCLUDE_PATH="$jhome/include" -DJAVA_INCLUDE_PATH2="$jhome/include/linux" \
  -DJAVA_JVM_LIBRARY="$jhome/lib/server/libjvm.so"
cmake --build "$work/build" -- -j "$(nproc)"
cp "$work/build/libdjl_torch.so" "$out_so"
echo "build-djl-jni: wrote $out_so"
