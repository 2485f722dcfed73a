/*
 * Decode-step attention straight on the paged KV cache, for the CPU (fp32): one JNI call per layer does what
 * the DJL path does in 17 ops — RoPE of the queries and the key, the K/V cache write, gathering every
 * sequence's blocks, q·Kᵀ, softmax, ·V — without gathering: each sequence's keys and values are read
 * where they lie, once, and only its own positions [0, pos] (no padding, no mask).
 *
 * Layouts (io.tokenmill.engine.runtime.KvCache, MirroredRope, DecoderModel):
 *   grouped  (rows, nKv, g + 2, hd): per KV group g query heads, the key head, the value head, as the qkv
 *            projection produced them (Qwen3's q/k norm applied), head dims in the mirrored order
 *   pool     (2, nKv, numBlocks, blockSize, hd): keys then values
 *   cos, sin (ropeLength, hd): mirrored tables, rotation = x·cos + flip(x)·sin
 *   out      (rows, nKv · g · hd): the o projection's input order
 * 1/sqrt(hd) is in the queries' weights. Every row is one new token: at positions[r], in block
 * tables[r · tableWidth + pos / blockSize], slot pos % blockSize, attending to its sequence's positions
 * [0, pos]. Rows of one sequence (a prefill chunk run by decode_layers.c) each carry the sequence's table;
 * every row's key and value are written before any row attends, so the chunk is causal.
 *
 * Built by engine/src/main/native/build.sh with the C compiler at build time; without it the engine runs
 * the DJL path (io.tokenmill.engine.runtime.NativeKernels says which).
 */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"

#define SHUFFLE __builtin_shufflevector

/* Lane t of the result: the sum of a[t]'s 16 lanes — 16 horizontal sums at once, in a tree of 15 adds (the
 * order of every sum is fixed: pairs 8 lanes apart, then 4, 2, 1). */
static inline __attribute__((always_inline)) v16 sums16(const v16 a[16]) {
  v16 b[8], c[4], d[2];
  for (int i = 0; i < 8; i++) {
    b[i] = SHUFFLE(a[2 * i], a[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
        + SHUFFLE(a[2 * i], a[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  }
  for (int i = 0; i < 4; i++) {
    c[i] = SHUFFLE(b[2 * i], b[2 * i + 1], 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27)
        + SHUFFLE(b[2 * i], b[2 * i + 1], 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
  }
  for (int i = 0; i < 2; i++) {
    d[i] = SHUFFLE(c[2 * i], c[2 * i + 1], 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29)
        + SHUFFLE(c[2 * i], c[2 * i + 1], 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
  }
  v16 e = SHUFFLE(d[0], d[1], 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30)
      + SHUFFLE(d[0], d[1], 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  return SHUFFLE(e, e, 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15); /* the tree's lanes are bit-reversed */
}

/*
 * Scores of g queries against one KV head's keys at positions [0, ctx) (scores[qi · ctx + p]) and the
 * probability-weighted sum of its values (out[qi · hd + d]), walking the sequence's blocks in place. HD is a
 * compile-time head dim (a multiple of 16): a key, value or output row is HD / 16 vectors. Scores go 16
 * keys at a time (a short last tile is padded with zero products, so every score is summed the same way).
 * Values accumulate in two register sets (even and odd keys) to halve the chain of dependent adds.
 */
#define HEAD_KERNELS(HD)                                                                                       \
  KERNEL static void scores_##HD(const float *q, int g, const float *keys, const int *table, int blockSize,      \
      int ctx, float *scores) {                                                                                \
    for (int start = 0; start < ctx; start += blockSize) {                                                     \
      const float *block = keys + (size_t) table[start / blockSize] * blockSize * HD;                          \
      int count = ctx - start < blockSize ? ctx - start : blockSize;                                           \
      for (int t0 = 0; t0 < count; t0 += 16) {                                                                 \
        int n = count - t0 < 16 ? count - t0 : 16;                                                             \
        for (int qi = 0; qi < g; qi++) {                                                                       \
          const float *qq = q + (size_t) qi * HD;                                                              \
          v16 acc[16];                                                                                         \
          for (int t = 0; t < 16; t++) {                                                                       \
            if (t < n) {                                                                                       \
              const float *k = block + (size_t) (t0 + t) * HD;                                                 \
              acc[t] = load16(qq) * load16(k);                                                                 \
              for (int d = 16; d < HD; d += 16) acc[t] += load16(qq + d) * load16(k + d);                      \
            } else {                                                                                           \
              acc[t] = (v16){0};                                                                               \
            }                                                                                                  \
          }                                                                                                    \
          v16 sums = sums16(acc);                                                                              \
          float *dst = scores + (size_t) qi * ctx + start + t0;                                                \
          if (n == 16) {                                                                                       \
            store16(dst, sums);                                                                                \
          } else {                                                                                             \
            float lanes[16];                                                                                   \
            store16(lanes, sums);                                                                              \
            memcpy(dst, lanes, sizeof(float) * n);                                                             \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
    }                                                                                                          \
  }                                                                                                            \
  KERNEL static void values_##HD(const float *probs, int g, const float *values, const int *table,              \
      int blockSize, int ctx, float *out) {                                                                    \
    for (int qi = 0; qi < g; qi++) {                                                                           \
      v16 even[HD / 16], odd[HD / 16];                                                                         \
      for (int d = 0; d < HD / 16; d++) even[d] = odd[d] = (v16){0};                                           \
      const float *p = probs + (size_t) qi * ctx;                                                              \
      for (int start = 0; start < ctx; start += blockSize) {                                                   \
        const float *block = values + (size_t) table[start / blockSize] * blockSize * HD;                      \
        int count = ctx - start < blockSize ? ctx - start : blockSize;                                         \
        int t = 0;                                                                                             \
        for (; t + 2 <= count; t += 2) {                                                                       \
          v16 w0 = splat16(p[start + t]), w1 = splat16(p[start + t + 1]);                                  \
          const float *v = block + (size_t) t * HD;                                                            \
          for (int d = 0; d < HD / 16; d++) {                                                                  \
            even[d] += w0 * load16(v + 16 * d);                                                                \
            odd[d] += w1 * load16(v + HD + 16 * d);                                                            \
          }                                                                                                    \
        }                                                                                                      \
        if (t < count) {                                                                                       \
          v16 w0 = splat16(p[start + t]);                                                                    \
          for (int d = 0; d < HD / 16; d++) even[d] += w0 * load16(block + (size_t) t * HD + 16 * d);          \
        }                                                                                                      \
      }                                                                                                        \
      for (int d = 0; d < HD / 16; d++) store16(out + (size_t) qi * HD + 16 * d, even[d] + odd[d]);             \
    }                                                                                                          \
  }

HEAD_KERNELS(32)
HEAD_KERNELS(64)
HEAD_KERNELS(128)

/* Any other head dim: the same sums, one float at a time. */
static void scores_any(const float *q, int g, int hd, const float *keys, const int *table, int blockSize, int ctx,
    float *scores) {
  for (int p = 0; p < ctx; p++) {
    const float *k = keys + ((size_t) table[p / blockSize] * blockSize + p % blockSize) * hd;
    for (int qi = 0; qi < g; qi++) {
      float s = 0.0f;
      for (int d = 0; d < hd; d++) s += q[(size_t) qi * hd + d] * k[d];
      scores[(size_t) qi * ctx + p] = s;
    }
  }
}

static void values_any(const float *probs, int g, int hd, const float *values, const int *table, int blockSize,
    int ctx, float *out) {
  memset(out, 0, sizeof(float) * (size_t) g * hd);
  for (int p = 0; p < ctx; p++) {
    const float *v = values + ((size_t) table[p / blockSize] * blockSize + p % blockSize) * hd;
    for (int qi = 0; qi < g; qi++) {
      float w = probs[(size_t) qi * ctx + p];
      for (int d = 0; d < hd; d++) out[(size_t) qi * hd + d] += w * v[d];
    }
  }
}

/* Softmax of each of g rows of ctx scores, in place. Maximum and sum run in 16 lanes (vectorised, the
 * order fixed by the code, not the compiler); a NaN score makes its row NaN. */
KERNEL static void softmax_rows(float *scores, int g, int ctx) {
  for (int qi = 0; qi < g; qi++) {
    float *s = scores + (size_t) qi * ctx;
    float lanes[16];
    for (int j = 0; j < 16; j++) lanes[j] = -INFINITY;
    int p = 0;
    for (; p + 16 <= ctx; p += 16) {
      for (int j = 0; j < 16; j++) lanes[j] = s[p + j] > lanes[j] ? s[p + j] : lanes[j];
    }
    float max = -INFINITY;
    for (int j = 0; j < 16; j++) max = lanes[j] > max ? lanes[j] : max;
    for (; p < ctx; p++) max = s[p] > max ? s[p] : max;
    v16 m = splat16(max);
    for (p = 0; p + 16 <= ctx; p += 16) store16(s + p, exp16_nonpositive(load16(s + p) - m));
    if (p < ctx) { /* the last < 16 scores, through a padded copy */
      float tail[16] = {0};
      memcpy(tail, s + p, sizeof(float) * (ctx - p));
      store16(tail, exp16_nonpositive(load16(tail) - m));
      memcpy(s + p, tail, sizeof(float) * (ctx - p));
    }
    for (int j = 0; j < 16; j++) lanes[j] = 0.0f;
    for (p = 0; p + 16 <= ctx; p += 16) {
      for (int j = 0; j < 16; j++) lanes[j] += s[p + j];
    }
    float sum = 0.0f;
    for (; p < ctx; p++) sum += s[p];
    for (int w = 8; w > 0; w >>= 1) {
      for (int j = 0; j < w; j++) lanes[j] += lanes[j + w];
    }
    float inv = 1.0f / (sum + lanes[0]);
    for (p = 0; p < ctx; p++) s[p] *= inv;
  }
}

/* y = x·cos + flip(x)·sin over one head (the mirrored RoPE of MirroredRope). */
static inline void rotate(const float *x, const float *c, const float *s, int hd, float *y) {
  for (int i = 0; i < hd; i++) y[i] = x[i] * c[i] + x[hd - 1 - i] * s[i];
}

/* One layer's decode attention, checked: what every work item reads. */
typedef struct {
  const float *grouped, *cos, *sin;
  float *pool, *out;
  const int *positions, *tables;
  int rows, nKv, g, hd, numBlocks, blockSize, tableWidth, maxCtx;
} layer_t;

/* Every row's key (rotated) and value into its cache slot: all of a step's writes come before any row attends,
 * so rows of one sequence (a prefill chunk) see each other's keys up to their own position. */
static void write_keys_values(const layer_t *L) {
  int g = L->g, hd = L->hd, bs = L->blockSize;
  size_t headBlocks = (size_t) L->nKv * L->numBlocks;
  for (int r = 0; r < L->rows; r++) {
    int pos = L->positions[r];
    const int *table = L->tables + (size_t) r * L->tableWidth;
    size_t slot = (size_t) table[pos / bs] * bs + pos % bs;
    for (int h = 0; h < L->nKv; h++) {
      const float *x = L->grouped + ((size_t) r * L->nKv + h) * (g + 2) * hd;
      float *keys = L->pool + (size_t) h * L->numBlocks * bs * hd;
      float *values = L->pool + (headBlocks + h * (size_t) L->numBlocks) * bs * hd;
      rotate(x + (size_t) g * hd, L->cos + (size_t) pos * hd, L->sin + (size_t) pos * hd, hd, keys + slot * hd);
      memcpy(values + slot * hd, x + (size_t) (g + 1) * hd, sizeof(float) * hd);
    }
  }
}

/* Work items [begin, end) of (row, KV head) pairs, item = row · nKv + head: RoPE of the queries, attention
 * over the row's positions [0, pos] (keys and values written by write_keys_values). */
static int run_items(const layer_t *L, int begin, int end) {
  int g = L->g, hd = L->hd, bs = L->blockSize;
  float *q = tm_scratch(TM_SCRATCH_ATTENTION, (size_t) g * hd + (size_t) g * L->maxCtx);
  if (q == NULL) return NO_MEMORY;
  float *scores = q + (size_t) g * hd;
  size_t headBlocks = (size_t) L->nKv * L->numBlocks;
  for (int item = begin; item < end; item++) {
    int r = item / L->nKv, h = item % L->nKv;
    int pos = L->positions[r];
    int ctx = pos + 1;
    const int *table = L->tables + (size_t) r * L->tableWidth;
    const float *c = L->cos + (size_t) pos * hd;
    const float *s = L->sin + (size_t) pos * hd;
    const float *x = L->grouped + ((size_t) r * L->nKv + h) * (g + 2) * hd;
    const float *keys = L->pool + (size_t) h * L->numBlocks * bs * hd;
    const float *values = L->pool + (headBlocks + h * (size_t) L->numBlocks) * bs * hd;
    for (int qi = 0; qi < g; qi++) rotate(x + (size_t) qi * hd, c, s, hd, q + (size_t) qi * hd);
    float *o = L->out + ((size_t) r * L->nKv + h) * g * hd;
    switch (hd) {
      case 32: scores_32(q, g, keys, table, bs, ctx, scores); break;
      case 64: scores_64(q, g, keys, table, bs, ctx, scores); break;
      case 128: scores_128(q, g, keys, table, bs, ctx, scores); break;
      default: scores_any(q, g, hd, keys, table, bs, ctx, scores);
    }
    softmax_rows(scores, g, ctx);
    switch (hd) {
      case 32: values_32(scores, g, values, table, bs, ctx, o); break;
      case 64: values_64(scores, g, values, table, bs, ctx, o); break;
      case 128: values_128(scores, g, values, table, bs, ctx, o); break;
      default: values_any(scores, g, hd, values, table, bs, ctx, o);
    }
  }
  return OK;
}

/* Keys read below which a layer runs on the calling thread alone: waking a helper costs ~10-20 µs. */
#define MIN_KEYS_TO_SHARE 16384

/* A layer's work items cut into parts of about equal keys read (each item reads its row's context). */
typedef struct {
  const layer_t *L;
  int bounds[TM_MAX_PARTS + 1];
} parts_t;

static int run_part(void *arg, int part) {
  parts_t *P = arg;
  return run_items(P->L, P->bounds[part], P->bounds[part + 1]);
}

static int run_layer(const layer_t *L, int threads, long spinNs) {
  write_keys_values(L);
  int items = L->rows * L->nKv;
  long keys = 0;
  for (int r = 0; r < L->rows; r++) keys += (long) (L->positions[r] + 1) * L->nKv;
  int parts = threads < 1 ? 1 : threads > TM_MAX_PARTS ? TM_MAX_PARTS : threads;
  if (parts > items) parts = items;
  if (parts == 1 || keys * L->g < MIN_KEYS_TO_SHARE) return run_items(L, 0, items);
  parts_t P = {.L = L};
  P.bounds[0] = 0;
  long done = 0;
  int item = 0;
  for (int p = 1; p < parts; p++) {
    long target = keys * p / parts;
    while (item < items && done + (L->positions[item / L->nKv] + 1) <= target) {
      done += L->positions[item / L->nKv] + 1;
      item++;
    }
    P.bounds[p] = item;
  }
  P.bounds[parts] = items;
  return tm_run_parts(parts, run_part, &P, spinNs);
}

int tm_check_rows(const int *positions, const int *tables, int rows, int numBlocks, int blockSize, int tableWidth,
    int ropeLength, int *maxCtx, int *badRow) {
  *maxCtx = 0;
  for (int r = 0; r < rows; r++) {
    int pos = positions[r];
    const int *table = tables + (size_t) r * tableWidth;
    *badRow = r;
    if (pos < 0 || pos >= ropeLength || pos / blockSize >= tableWidth) return BAD_POSITION;
    for (int b = 0; b <= pos / blockSize; b++) {
      if (table[b] < 0 || table[b] >= numBlocks) return BAD_BLOCK;
    }
    *maxCtx = pos + 1 > *maxCtx ? pos + 1 : *maxCtx;
  }
  *badRow = -1;
  return OK;
}

int tm_decode_attention(const float *grouped, float *pool, const float *cos, const float *sin, float *out,
    const int *positions, const int *tables, int rows, int nKv, int g, int hd, int numBlocks, int blockSize,
    int tableWidth, int ropeLength, int threads, long spinNs, int *badRow) {
  int maxCtx;
  int rc = tm_check_rows(positions, tables, rows, numBlocks, blockSize, tableWidth, ropeLength, &maxCtx, badRow);
  if (rc != OK) return rc;
  layer_t L = {grouped, cos, sin, pool, out, positions, tables, rows, nKv, g, hd, numBlocks, blockSize, tableWidth,
      maxCtx};
  return run_layer(&L, threads, spinNs);
}

/*
 * Returns 0, or an error code with the offending row in badRow[0]: 1 a block id outside the pool, 2 a
 * position outside the RoPE table or the block table, 3 a buffer too small or not direct, 4 no memory for
 * the scratch scores, 5 a bad shape. Nothing is written when the checks fail.
 */
JNIEXPORT jint JNICALL Java_io_tokenmill_engine_runtime_NativeKernels_decodeAttention(JNIEnv *env, jclass cls,
    jobject jgrouped, jobject jpool, jobject jcos, jobject jsin, jobject jout, jintArray jpositions,
    jintArray jtables, jint rows, jint nKv, jint g, jint hd, jint numBlocks, jint blockSize, jint tableWidth,
    jint ropeLength, jint threads, jintArray jbadRow) {
  (void) cls;
  if (rows <= 0 || nKv <= 0 || g <= 0 || hd <= 0 || numBlocks <= 0 || blockSize <= 0 || tableWidth <= 0
      || ropeLength <= 0) {
    return BAD_SHAPE;
  }
  if ((*env)->GetArrayLength(env, jpositions) < rows
      || (*env)->GetArrayLength(env, jtables) < (jsize) ((size_t) rows * tableWidth)) {
    return BAD_SHAPE;
  }
  void *grouped, *pool, *cos, *sin, *out;
  size_t f = sizeof(float);
  if (!tm_direct(env, jgrouped, (size_t) rows * nKv * (g + 2) * hd * f, &grouped)
      || !tm_direct(env, jpool, 2 * (size_t) nKv * numBlocks * blockSize * hd * f, &pool)
      || !tm_direct(env, jcos, (size_t) ropeLength * hd * f, &cos) || !tm_direct(env, jsin, (size_t) ropeLength * hd * f, &sin)
      || !tm_direct(env, jout, (size_t) rows * nKv * g * hd * f, &out)) {
    return BAD_BUFFER;
  }
  int badRow = -1;
  jint *positions = (*env)->GetPrimitiveArrayCritical(env, jpositions, NULL);
  jint *tables = (*env)->GetPrimitiveArrayCritical(env, jtables, NULL);
  int rc = NO_MEMORY;
  if (positions != NULL && tables != NULL) {
    rc = tm_decode_attention(grouped, pool, cos, sin, out, positions, tables, rows, nKv, g, hd, numBlocks,
        blockSize, tableWidth, ropeLength, threads, 0, &badRow); /* between libtorch ops: no spinning */
  }
  if (tables != NULL) (*env)->ReleasePrimitiveArrayCritical(env, jtables, tables, JNI_ABORT);
  if (positions != NULL) (*env)->ReleasePrimitiveArrayCritical(env, jpositions, positions, JNI_ABORT);
  if (rc != OK && (*env)->GetArrayLength(env, jbadRow) > 0) {
    jint row = badRow;
    (*env)->SetIntArrayRegion(env, jbadRow, 0, 1, &row);
  }
  return rc;
}
