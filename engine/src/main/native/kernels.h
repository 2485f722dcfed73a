/*
 * What the engine's native CPU kernels share (decode_attention.c, decode_layers.c, parallel.c): the
 * multi-target build, 16-float vectors, error codes, the helper threads, and the attention entry point the
 * whole-layer decode calls. See io.tokenmill.engine.runtime.NativeKernels.
 */
#ifndef TOKENMILL_KERNELS_H
#define TOKENMILL_KERNELS_H

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
/* One binary for any x86-64: the loader picks the widest of these the CPU has (glibc ifunc). */
#define KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KERNEL
#endif

/* Return codes, mirrored in NativeKernels. */
enum { OK = 0, BAD_BLOCK = 1, BAD_POSITION = 2, BAD_BUFFER = 3, NO_MEMORY = 4, BAD_SHAPE = 5, BAD_TOKEN = 6 };

/* 16 floats as one vector (GCC/Clang vector extensions): one zmm with AVX-512, two ymm with AVX2, four xmm
 * otherwise — sums in the same order on every target (the AVX2 and AVX-512 clones may fuse a multiply and
 * its add, the baseline one cannot: results can differ in the last bit between CPUs, never between runs on
 * one). Loads and stores go through memcpy (unaligned). */
typedef float v16 __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) v16 load16(const float *p) {
  v16 v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* s in all 16 lanes (one broadcast; `(v16){0} + s` would also add the zero). */
static inline __attribute__((always_inline)) v16 splat16(float s) {
  v16 v = {s};
  return __builtin_shufflevector(v, v, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

static inline __attribute__((always_inline)) void store16(float *p, v16 v) {
  memcpy(p, &v, sizeof v);
}

typedef int32_t vi16 __attribute__((vector_size(64)));

/* Where mask (all ones or zeros per lane): a, else b. */
static inline __attribute__((always_inline)) v16 select16(vi16 mask, v16 a, v16 b) {
  return (v16) ((mask & (vi16) a) | (~mask & (vi16) b));
}

/* exp(x) of 16 lanes, x <= 0 (scores less their maximum, −|x|): Cephes' expf polynomial after n = x / ln 2
 * rounded to nearest, within ~2 ulp of expf; below −87 as at −87 (~1.6e-38). NaN stays NaN. */
static inline __attribute__((always_inline)) v16 exp16_nonpositive(v16 x) {
  x = select16(x < splat16(-87.0f), splat16(-87.0f), x);
  v16 magic = splat16(12582912.0f); /* 1.5 · 2^23: adding and subtracting it rounds to an integer */
  v16 n = (x * 1.44269504088896341f + magic) - magic;
  v16 z = x - n * 0.693359375f - n * -2.12194440e-4f;
  v16 p = splat16(1.9875691500e-4f);
  p = p * z + 1.3981999507e-3f;
  p = p * z + 8.3334519073e-3f;
  p = p * z + 4.1665795894e-2f;
  p = p * z + 1.6666665459e-1f;
  p = p * z + 5.0000001201e-1f;
  p = p * z * z + z + 1.0f;
  vi16 bits = (__builtin_convertvector(n, vi16) + 127) << 23;
  return p * (v16) bits;
}

/*
 * Runs fn(arg, part) for part in [0, parts): part 0 on the calling thread, the others on helper threads
 * (started on first use, at most TM_MAX_PARTS - 1) or, when no helper has started one by the time the caller
 * is free, on the caller. When another thread's call holds the helpers, every part runs on the caller, in
 * order. Afterwards the helpers spin for spinNs before they park (0: park at once). Returns the first non-OK
 * result in part order.
 */
#define TM_MAX_PARTS 16
typedef int (*tm_part_fn)(void *arg, int part);
int tm_run_parts(int parts, tm_part_fn fn, void *arg, long spinNs);

/* This thread's scratch buffer `slot` (TM_SCRATCH_*), at least `floats` long, grown on demand and kept for
 * the thread's next call; NULL on no memory (parallel.c). */
enum { TM_SCRATCH_ATTENTION = 0, TM_SCRATCH_STEP = 1, TM_SCRATCH_SLOTS = 2 };
float *tm_scratch(int slot, size_t floats);

/* How long helpers wait for the next hand-off inside a native step (decode_layers.c): about one step of a
 * small model; the calls between libtorch ops (the DJL path's attention) spin not at all. */
#define TM_STEP_SPIN_NS 2000000L

/* Checks every row's position against the RoPE and block tables and its block ids against the pool; the
 * longest context in *maxCtx, the first bad row in *badRow (decode_attention.c). */
int tm_check_rows(const int *positions, const int *tables, int rows, int numBlocks, int blockSize, int tableWidth,
    int ropeLength, int *maxCtx, int *badRow);

/* One layer's decode attention on the paged cache, checked first (decode_attention.c); spinNs as in
 * tm_run_parts. */
int tm_decode_attention(const float *grouped, float *pool, const float *cos, const float *sin, float *out,
    const int *positions, const int *tables, int rows, int nKv, int g, int hd, int numBlocks, int blockSize,
    int tableWidth, int ropeLength, int threads, long spinNs, int *badRow);

/* Whether a direct buffer is at least `bytes` long; its address in *address. */
#include <jni.h>
static inline int tm_direct(JNIEnv *env, jobject buffer, size_t bytes, void **address) {
  if (buffer == NULL) return 0;
  *address = (*env)->GetDirectBufferAddress(env, buffer);
  jlong capacity = (*env)->GetDirectBufferCapacity(env, buffer);
  return *address != NULL && capacity >= 0 && (size_t) capacity >= bytes;
}

#endif
