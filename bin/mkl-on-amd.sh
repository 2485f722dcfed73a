# Sourced by bin/tokenmill and bin/bench-ab: how libtorch's MKL runs on AMD CPUs (docs/PERFORMANCE.md,
# "MKL's own kernels on AMD"). MKL dispatches every call to its generic code path unless it believes
# it runs on an Intel CPU; deploy/native/mkl-intel-path.c answers that question with yes, and MKL then
# picks its kernels from the instructions the CPU reports (AVX2 / AVX-512).
#   TOKENMILL_MKL_AMD=auto  (default) preload the shim, built here with cc on first use; without a C
#                           compiler, fall back to MKL_CBWR=AVX2 (MKL's AVX2 path, when MKL_CBWR is unset)
#   TOKENMILL_MKL_AMD=avx2  no shim, MKL_CBWR=AVX2 unless set (what bin/tokenmill did before)
#   TOKENMILL_MKL_AMD=none  leave MKL alone (TOKENMILL_MKL_CBWR=none, the older name, means the same)
# Not AMD: nothing changes.
tokenmill_mkl_on_amd() {
  local root="$1" mode="${TOKENMILL_MKL_AMD:-${TOKENMILL_MKL_CBWR:-auto}}"
  grep -q AuthenticAMD /proc/cpuinfo 2>/dev/null || return 0
  case "$mode" in
    none) return 0 ;;
    auto)
      local src="$root/deploy/native/mkl-intel-path.c" so="$root/jobs/target/native/libtokenmill-mkl-intel-path.so"
      if [ ! -f "$so" ] || [ "$src" -nt "$so" ]; then
        mkdir -p "$(dirname "$so")"
        local tmp="$so.$$"
        if "${CC:-cc}" -O2 -shared -fPIC "$src" -o "$tmp" 2>/dev/null; then mv -f "$tmp" "$so"; else rm -f "$tmp"; fi
      fi
      if [ -f "$so" ]; then
        case ":${LD_PRELOAD:-}:" in *":$so:"*) ;; *) export LD_PRELOAD="$so${LD_PRELOAD:+:$LD_PRELOAD}" ;; esac
        return 0
      fi
      echo "tokenmill: no C compiler (${CC:-cc}) to build deploy/native/mkl-intel-path.c: MKL runs its AVX2 path on this AMD CPU" >&2 ;;
    avx2) ;;
    *) echo "tokenmill: TOKENMILL_MKL_AMD=$mode is not one of auto, avx2, none" >&2; return 1 ;;
  esac
  if [ -z "${MKL_CBWR:-}" ] && grep -qw avx2 /proc/cpuinfo 2>/dev/null; then export MKL_CBWR=AVX2; fi
}
