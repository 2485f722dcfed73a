/*
 * A whole step's layers below DJL, for the CPU (fp32): one JNI call runs every layer of a narrow step (decodes,
 * and short prefill chunks batched with them; one row per new token) — embedding lookup, RMSNorm, the q/k/v, o, gate|up and down
 * projections (this file's GEMM on the weights DJL loaded, in place), Qwen3's q/k norm, SiLU·up, the
 * residual adds, and each layer's attention (decode_attention.c) — and hands back the final-normed hidden
 * rows for the vocab head. The DJL path issues ~14 libtorch ops per layer for the same; on a small model
 * their per-op cost, not arithmetic, sets the step time (docs/PERFORMANCE.md "Native decode layers").
 *
 * Layouts are DecoderWeights' (io.tokenmill.engine.runtime): the residual stream is (rows, hp), the hidden
 * values, then the norm constant c = sqrt(hidden · eps), then zeros, so RMSNorm is x / ‖x‖ over the padded
 * row with sqrt(hidden) and the norm weight folded into the next projection's input rows. Projections are
 * input-major (in, out), possibly in column chunks; q/k/v come out grouped per KV head (g queries, key,
 * value), which is decode_attention's input. Every output element of a GEMM is one sum over the inputs in
 * order, whatever the batch: a row's results do not depend on the other rows of the step.
 */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"

typedef struct {
  int in, out, chunks;
  const float **w; /* chunk c: (in, width[c]) row-major */
  int *width;
  const float *bias; /* (out) or NULL */
  float *packed; /* NULL, or the same weights panel after panel (see pack) */
} proj_t;

typedef struct {
  proj_t qkv, o, gateUp, down;
  const float *qkNorm; /* (nKv, g + 2, hd), Qwen3; NULL otherwise */
} layer_w;

typedef struct {
  int layers, vocab, h, hp, nKv, g, hd, inter;
  float normConstant, qkFloor;
  const float *embedding, *finalNorm;
  layer_w *L;
  proj_t head; /* the vocab head (h, vocab); head.w NULL until set: the caller then multiplies in DJL */
} model_t;

/* ---- GEMM: y = x · W (+ bias) (+ add), W input-major, 4 rows × 64 columns at a time ---- */

#define MR 4
#define NV 4 /* vectors of 16 columns per tile */

/* One tile of mr rows × 16·nv columns: per output one sum over k in order (fused multiply-adds where the
 * target has them), then + (add + bias). mr and nv are constants at every call (specialised inline). */
static inline __attribute__((always_inline)) void tile(const int mr, const int nv, int K, const float *x,
    size_t ldx, const float *w, size_t ldw, float *y, size_t ldy, const float *add, size_t ldadd,
    const float *bias) {
  v16 acc[MR][NV];
  for (int i = 0; i < mr; i++) {
    for (int j = 0; j < nv; j++) acc[i][j] = (v16){0};
  }
  for (int k = 0; k < K; k++) {
    const float *wk = w + (size_t) k * ldw;
    v16 wv[NV];
    for (int j = 0; j < nv; j++) wv[j] = load16(wk + 16 * j);
    for (int i = 0; i < mr; i++) {
      v16 xb = splat16(x[(size_t) i * ldx + k]);
      for (int j = 0; j < nv; j++) acc[i][j] += xb * wv[j];
    }
  }
  for (int i = 0; i < mr; i++) {
    for (int j = 0; j < nv; j++) {
      v16 v = acc[i][j];
      if (add != NULL) {
        v16 a = load16(add + (size_t) i * ldadd + 16 * j);
        v += bias != NULL ? a + load16(bias + 16 * j) : a;
      } else if (bias != NULL) {
        v += load16(bias + 16 * j);
      }
      store16(y + (size_t) i * ldy + 16 * j, v);
    }
  }
}

#define TILE_ROWS(NVc)                                                                                         \
  switch (mr) {                                                                                                \
    case 4: tile(4, NVc, K, xm, ldx, wn, ldw, ym, ldy, am, ldadd, bn); break;                                 \
    case 3: tile(3, NVc, K, xm, ldx, wn, ldw, ym, ldy, am, ldadd, bn); break;                                 \
    case 2: tile(2, NVc, K, xm, ldx, wn, ldw, ym, ldy, am, ldadd, bn); break;                                 \
    default: tile(1, NVc, K, xm, ldx, wn, ldw, ym, ldy, am, ldadd, bn); break;                                \
  }

/* Columns [n0, n1) of one chunk (w, y, add and bias already at the chunk's first column) for all M rows:
 * 64-column panels, each read once per 4 rows from cache; a last partial panel in 16s, then < 16 columns
 * one at a time (same order of sums). */
KERNEL static void gemm_columns(int M, int K, const float *x, size_t ldx, const float *w, size_t ldw, int n0,
    int n1, float *y, size_t ldy, const float *add, size_t ldadd, const float *bias) {
  int n = n0;
  while (n + 16 <= n1) {
    int nv = (n1 - n) / 16;
    nv = nv > NV ? NV : nv;
    const float *wn = w + n;
    const float *bn = bias == NULL ? NULL : bias + n;
    for (int m = 0; m < M; m += MR) {
      int mr = M - m < MR ? M - m : MR;
      const float *xm = x + (size_t) m * ldx;
      float *ym = y + (size_t) m * ldy + n;
      const float *am = add == NULL ? NULL : add + (size_t) m * ldadd + n;
      switch (nv) {
        case 4: TILE_ROWS(4) break;
        case 3: TILE_ROWS(3) break;
        case 2: TILE_ROWS(2) break;
        default: TILE_ROWS(1) break;
      }
    }
    n += 16 * nv;
  }
  for (; n < n1; n++) {
    for (int m = 0; m < M; m++) {
      float s = 0.0f;
      for (int k = 0; k < K; k++) s += x[(size_t) m * ldx + k] * w[(size_t) k * ldw + n];
      float a = add == NULL ? 0.0f : add[(size_t) m * ldadd + n];
      if (bias != NULL) a += bias[n];
      y[(size_t) m * ldy + n] = add == NULL && bias == NULL ? s : s + a;
    }
  }
}

#define PANEL 64

typedef struct {
  const proj_t *p;
  int M;
  const float *x;
  size_t ldx;
  float *y;
  size_t ldy;
  const float *add;
  size_t ldadd;
  int parts, panels;
} gemm_t;

/* Part `part` of the projection's 64-column panels (across its chunks; a chunk's last panel may be narrower).
 * Packed, panel q is (in, its width) contiguous at the sum of the earlier panels' sizes. */
static int gemm_part(void *arg, int part) {
  const gemm_t *G = arg;
  const proj_t *p = G->p;
  int first = (int) ((long) G->panels * part / G->parts), last = (int) ((long) G->panels * (part + 1) / G->parts);
  int panel = 0, col = 0;
  size_t offset = 0;
  for (int c = 0; c < p->chunks && panel < last; c++) {
    int width = p->width[c];
    for (int n = 0; n < width && panel < last; n += PANEL, panel++) {
      int pw = width - n < PANEL ? width - n : PANEL;
      if (panel >= first) {
        const float *w = p->packed != NULL ? p->packed + offset : p->w[c] + n;
        size_t ldw = p->packed != NULL ? (size_t) pw : (size_t) width;
        gemm_columns(G->M, p->in, G->x, G->ldx, w, ldw, 0, pw, G->y + col + n, G->ldy,
            G->add == NULL ? NULL : G->add + col + n, G->ldadd, p->bias == NULL ? NULL : p->bias + col + n);
      }
      offset += (size_t) p->in * pw;
    }
    col += width;
  }
  return OK;
}

/*
 * A copy of a projection's weights panel after panel, each (in, ≤ 64) contiguous: the tile then streams its
 * rows from consecutive addresses. Read in place, a panel's rows lie a matrix row apart — 4 KiB for a
 * 1024-wide matrix, which maps every row to the same L1 sets, and defeats the prefetcher (measured on the
 * tiny reasoner's gate|up, 32 rows: 99 µs in place, 69 µs packed; docs/PERFORMANCE.md). NULL on no memory.
 */
static float *pack(const proj_t *p) {
  float *out = malloc(sizeof(float) * (size_t) p->in * p->out);
  if (out == NULL) return NULL;
  size_t offset = 0;
  for (int c = 0; c < p->chunks; c++) {
    int width = p->width[c];
    for (int n = 0; n < width; n += PANEL) {
      int pw = width - n < PANEL ? width - n : PANEL;
      for (int k = 0; k < p->in; k++) {
        memcpy(out + offset + (size_t) k * pw, p->w[c] + (size_t) k * width + n, sizeof(float) * pw);
      }
      offset += (size_t) p->in * pw;
    }
  }
  return out;
}

/* Multiply-adds below which a projection runs on the calling thread: waking a helper costs ~10-20 µs. */
static long min_macs_to_share = 1L << 22;

/* y (M, out) = x (M, in) · W + bias + add; add may be y itself (the residual stream, updated in place). */
static void project(const proj_t *p, int M, const float *x, size_t ldx, float *y, size_t ldy, const float *add,
    size_t ldadd, int threads) {
  gemm_t G = {p, M, x, ldx, y, ldy, add, ldadd, 1, 0};
  for (int c = 0; c < p->chunks; c++) G.panels += (p->width[c] + PANEL - 1) / PANEL;
  long macs = (long) M * p->in * p->out;
  int parts = macs < min_macs_to_share ? 1 : threads;
  if (parts > G.panels) parts = G.panels;
  if (parts < 1) parts = 1;
  G.parts = parts;
  if (parts == 1) {
    gemm_part(&G, 0);
  } else {
    tm_run_parts(parts, gemm_part, &G, TM_STEP_SPIN_NS);
  }
}

/* ---- element-wise parts ---- */

/* Sum of squares of n floats (n a multiple of 16) in 16 lanes, then pairs 8, 4, 2, 1 apart. */
static inline __attribute__((always_inline)) float squares(const float *x, int n) {
  v16 acc = (v16){0};
  for (int i = 0; i < n; i += 16) {
    v16 v = load16(x + i);
    acc += v * v;
  }
  float lanes[16];
  store16(lanes, acc);
  for (int w = 8; w > 0; w >>= 1) {
    for (int j = 0; j < w; j++) lanes[j] += lanes[j + w];
  }
  return lanes[0];
}

/* y[r, 0..outWidth) = x[r] / max(‖x[r]‖, floor) (· weight): RMSNorm of the padded stream (weight folded into
 * the next projection), or the final norm with its weight. width is a multiple of 16. */
KERNEL static void unit_rows(const float *x, size_t ldx, int rows, int width, float floor, const float *weight,
    float *y, size_t ldy, int outWidth) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t) r * ldx;
    float norm = sqrtf(squares(xr, width));
    float d = norm > floor ? norm : floor;
    float *yr = y + (size_t) r * ldy;
    if (weight == NULL) {
      for (int i = 0; i < outWidth; i++) yr[i] = xr[i] / d;
    } else {
      for (int i = 0; i < outWidth; i++) yr[i] = xr[i] / d * weight[i];
    }
  }
}

/* Qwen3: every query and key head of grouped (rows, nKv, g + 2, hd) → x / max(‖x‖, floor) · its weight. */
KERNEL static void qk_norm(float *grouped, int rows, int nKv, int g, int hd, float floor, const float *weight) {
  for (int r = 0; r < rows; r++) {
    for (int j = 0; j < nKv; j++) {
      for (int s = 0; s <= g; s++) {
        float *v = grouped + (((size_t) r * nKv + j) * (g + 2) + s) * hd;
        const float *w = weight + ((size_t) j * (g + 2) + s) * hd;
        float norm = sqrtf(squares(v, hd));
        float d = norm > floor ? norm : floor;
        for (int i = 0; i < hd; i++) v[i] = v[i] / d * w[i];
      }
    }
  }
}

/* act (rows, 2 · inter) = gate | up → its first inter columns = silu(gate) · up, silu(x) = x · sigmoid(x)
 * with sigmoid from t = exp(−|x|): 1 / (1 + t) for x >= 0, t / (1 + t) below (no overflow either side).
 * inter is a multiple of 16. */
KERNEL static void silu_mul(float *act, int rows, int inter) {
  v16 one = splat16(1.0f);
  for (int r = 0; r < rows; r++) {
    float *gate = act + (size_t) r * 2 * inter;
    const float *up = gate + inter;
    for (int i = 0; i < inter; i += 16) {
      v16 x = load16(gate + i);
      v16 t = exp16_nonpositive(select16(x < 0.0f, x, -x));
      v16 sig = select16(x >= 0.0f, one, t) / (one + t);
      store16(gate + i, x * sig * load16(up + i));
    }
  }
}

/* ---- the step ---- */

/* A step's inputs (rows in sequence order; outRows[i] is sequence i's last row). */
typedef struct {
  const model_t *m;
  float *const *pools;
  const float *cos, *sin;
  float *out;
  const int *outRows, *tokens, *positions, *tables;
  int outCount, rows, numBlocks, blockSize, tableWidth, ropeLength;
  float *logits; /* (outCount, vocab), or NULL: hidden rows only */
  int *argmax; /* per output row: the first maximum's id (with logits) */
  float *max; /* per output row: the maximum, NaN when any logit is NaN (with logits) */
} step_t;

/* Row maxima and the first id holding each (lowest id on ties), as torch's max and argmax: NaN wins (the
 * first NaN's id); all -Infinity gives id 0. The greedy choice and its finiteness check, in one pass. */
KERNEL static void greedy_rows(const float *logits, int rows, int vocab, int *argmax, float *max) {
  for (int r = 0; r < rows; r++) {
    const float *x = logits + (size_t) r * vocab;
    float best = x[0];
    int at = 0;
    for (int i = 1; i < vocab && best == best; i++) {
      if (x[i] > best || x[i] != x[i]) {
        best = x[i];
        at = i;
      }
    }
    argmax[r] = at;
    max[r] = best;
  }
}

/* Every layer for rows [r0, r1) — whole sequences, o0..o1 of them — with `threads` for each op. */
static int run_rows(const step_t *S, int r0, int r1, int o0, int o1, int threads, int *badRow) {
  const model_t *m = S->m;
  int rows = r1 - r0;
  int hp = m->hp, nKv = m->nKv, g = m->g, hd = m->hd, inter = m->inter;
  int qkvOut = nKv * (g + 2) * hd, attnWidth = nKv * g * hd;
  size_t perRow = 2 * (size_t) hp + qkvOut + attnWidth + 2 * (size_t) inter;
  float *x = tm_scratch(TM_SCRATCH_STEP, perRow * rows);
  if (x == NULL) return NO_MEMORY;
  float *a = x + (size_t) rows * hp;
  float *grouped = a + (size_t) rows * hp;
  float *attn = grouped + (size_t) rows * qkvOut;
  float *act = attn + (size_t) rows * attnWidth;
  const int *positions = S->positions + r0, *tables = S->tables + (size_t) r0 * S->tableWidth;
  for (int r = 0; r < rows; r++) {
    float *xr = x + (size_t) r * hp;
    memcpy(xr, m->embedding + (size_t) S->tokens[r0 + r] * m->h, sizeof(float) * m->h);
    memset(xr + m->h, 0, sizeof(float) * (hp - m->h));
    xr[m->h] = m->normConstant;
  }
  for (int l = 0; l < m->layers; l++) {
    const layer_w *L = &m->L[l];
    unit_rows(x, hp, rows, hp, 1e-30f, NULL, a, hp, hp);
    project(&L->qkv, rows, a, hp, grouped, qkvOut, NULL, 0, threads);
    if (L->qkNorm != NULL) qk_norm(grouped, rows, nKv, g, hd, m->qkFloor, L->qkNorm);
    int rc = tm_decode_attention(grouped, S->pools[l], S->cos, S->sin, attn, positions, tables, rows, nKv, g, hd,
        S->numBlocks, S->blockSize, S->tableWidth, S->ropeLength, threads, TM_STEP_SPIN_NS, badRow);
    if (rc != OK) {
      if (*badRow >= 0) *badRow += r0;
      return rc;
    }
    project(&L->o, rows, attn, attnWidth, x, hp, x, hp, threads);
    unit_rows(x, hp, rows, hp, 1e-30f, NULL, a, hp, hp);
    project(&L->gateUp, rows, a, hp, act, 2 * (size_t) inter, NULL, 0, threads);
    silu_mul(act, rows, inter);
    project(&L->down, rows, act, 2 * (size_t) inter, x, hp, x, hp, threads);
  }
  for (int i = o0; i < o1; i++) {
    unit_rows(x + (size_t) (S->outRows[i] - r0) * hp, hp, 1, hp, 1e-30f, m->finalNorm, S->out + (size_t) i * m->h,
        m->h, m->h);
  }
  if (S->logits != NULL) {
    float *logits = S->logits + (size_t) o0 * m->vocab;
    project(&m->head, o1 - o0, S->out + (size_t) o0 * m->h, m->h, logits, m->vocab, NULL, 0, threads);
    greedy_rows(logits, o1 - o0, m->vocab, S->argmax + o0, S->max + o0);
  }
  return OK;
}

/* A step cut into parts of whole sequences, one per thread, each running every layer alone. */
typedef struct {
  const step_t *S;
  int seqBounds[TM_MAX_PARTS + 1];
  int badRow[TM_MAX_PARTS];
} split_t;

static int run_split_part(void *arg, int part) {
  split_t *P = arg;
  const step_t *S = P->S;
  int o0 = P->seqBounds[part], o1 = P->seqBounds[part + 1];
  if (o0 >= o1) return OK;
  int r0 = o0 == 0 ? 0 : S->outRows[o0 - 1] + 1, r1 = S->outRows[o1 - 1] + 1;
  return run_rows(S, r0, r1, o0, o1, 1, &P->badRow[part]);
}

/* Layer weights (bytes) up to which a step is split by sequences, each thread reading every weight (from a
 * cache they fit in), one hand-off per step; larger models split each op (GEMM columns, attention heads)
 * instead, so that the threads share one pass over weights read from memory. */
#define SPLIT_BY_SEQUENCE_WEIGHT_BYTES (8L << 20)
/* Multiply-adds of a step below which it runs on the calling thread: waking a helper costs ~10-50 µs. */
#define MIN_STEP_MACS_TO_SPLIT (1L << 23)

static int decode_step(const step_t *S, int threads, int *badRow) {
  const model_t *m = S->m;
  for (int r = 0; r < S->rows; r++) {
    if (S->tokens[r] < 0 || S->tokens[r] >= m->vocab) {
      *badRow = r;
      return BAD_TOKEN;
    }
  }
  for (int i = 0; i < S->outCount; i++) {
    int first = i == 0 ? 0 : S->outRows[i - 1] + 1;
    if (S->outRows[i] < first || S->outRows[i] >= S->rows) return BAD_SHAPE;
  }
  if (S->outRows[S->outCount - 1] != S->rows - 1) return BAD_SHAPE;
  /* Every row checked before any part writes the cache (each layer's attention checks its rows again). */
  int maxCtx;
  int rc = tm_check_rows(S->positions, S->tables, S->rows, S->numBlocks, S->blockSize, S->tableWidth, S->ropeLength,
      &maxCtx, badRow);
  if (rc != OK) return rc;
  long layerMacs = 0;
  const layer_w *L0 = &m->L[0];
  const proj_t *ps[] = {&L0->qkv, &L0->o, &L0->gateUp, &L0->down};
  for (int i = 0; i < 4; i++) layerMacs += (long) ps[i]->in * ps[i]->out;
  int parts = threads < 1 ? 1 : threads > TM_MAX_PARTS ? TM_MAX_PARTS : threads;
  if (parts > S->outCount) parts = S->outCount;
  if (parts < 2 || layerMacs * (long) sizeof(float) > SPLIT_BY_SEQUENCE_WEIGHT_BYTES
      || layerMacs * m->layers * S->rows < MIN_STEP_MACS_TO_SPLIT) {
    return run_rows(S, 0, S->rows, 0, S->outCount, threads, badRow);
  }
  /* Cut points balance each sequence's cost: its rows' projections, plus keys and values read (counted as
   * 4 multiply-adds a float: attention is bound by memory, the projections by arithmetic). */
  long kvPerKey = 4L * 2 * m->nKv * m->hd * m->layers;
  long total = 0;
  long *cost = malloc(sizeof(long) * (size_t) S->outCount);
  if (cost == NULL) return NO_MEMORY;
  long headMacs = S->logits == NULL ? 0 : (long) m->h * m->vocab;
  for (int i = 0; i < S->outCount; i++) {
    int first = i == 0 ? 0 : S->outRows[i - 1] + 1;
    cost[i] = headMacs;
    for (int r = first; r <= S->outRows[i]; r++) cost[i] += layerMacs * m->layers + kvPerKey * (S->positions[r] + 1);
    total += cost[i];
  }
  split_t P = {.S = S};
  P.seqBounds[0] = 0;
  long done = 0;
  int seq = 0;
  for (int p = 1; p < parts; p++) {
    long target = total * p / parts;
    while (seq < S->outCount && done + cost[seq] / 2 <= target) done += cost[seq++];
    P.seqBounds[p] = seq;
  }
  P.seqBounds[parts] = S->outCount;
  free(cost);
  for (int p = 0; p < parts; p++) P.badRow[p] = -1;
  rc = tm_run_parts(parts, run_split_part, &P, TM_STEP_SPIN_NS);
  for (int p = 0; p < parts && rc != OK; p++) {
    if (P.badRow[p] >= 0) {
      *badRow = P.badRow[p];
      break;
    }
  }
  return rc;
}

/* ---- JNI ---- */

/* Whether a model's projections get packed copies: only where a layer's weights are small enough to split
 * steps by sequence (SPLIT_BY_SEQUENCE_WEIGHT_BYTES), so the copies cost a few MB; a large model's GEMMs read
 * each weight once a step from memory in place, and a copy would double its footprint. */
static int packs(const model_t *m) {
  long qkvOut = (long) m->nKv * (m->g + 2) * m->hd, attnWidth = (long) m->nKv * m->g * m->hd;
  long layerBytes = sizeof(float) * ((long) m->hp * qkvOut + attnWidth * m->hp + (long) m->hp * 2 * m->inter
      + (long) m->inter * m->hp);
  return layerBytes <= SPLIT_BY_SEQUENCE_WEIGHT_BYTES;
}

static void free_model(model_t *m) {
  if (m == NULL) return;
  if (m->L != NULL) {
    for (int l = 0; l < m->layers; l++) {
      proj_t *ps[] = {&m->L[l].qkv, &m->L[l].o, &m->L[l].gateUp, &m->L[l].down};
      for (int i = 0; i < 4; i++) {
        free(ps[i]->w);
        free(ps[i]->width);
        free(ps[i]->packed);
      }
    }
    free(m->L);
  }
  free(m->head.w);
  free(m->head.width);
  free(m->head.packed);
  free(m);
}

/* A model's shape, embedding (vocab, h) and final norm weight (hp); 0 when a buffer is short or a size is
 * not a multiple of 16 where the kernels need one. The buffers must outlive the handle (freeDecoder). */
JNIEXPORT jlong JNICALL Java_io_tokenmill_engine_runtime_NativeKernels_newDecoder(JNIEnv *env, jclass cls,
    jint layers, jint vocab, jint h, jint hp, jint nKv, jint g, jint hd, jint inter, jfloat normConstant,
    jfloat qkFloor, jobject jembedding, jobject jfinalNorm) {
  (void) cls;
  if (layers <= 0 || vocab <= 0 || h <= 0 || hp <= h || hp % 16 != 0 || nKv <= 0 || g <= 0 || hd <= 0
      || hd % 16 != 0 || inter <= 0 || inter % 16 != 0) {
    return 0;
  }
  void *embedding, *finalNorm;
  if (!tm_direct(env, jembedding, (size_t) vocab * h * sizeof(float), &embedding)
      || !tm_direct(env, jfinalNorm, (size_t) hp * sizeof(float), &finalNorm)) {
    return 0;
  }
  model_t *m = calloc(1, sizeof(model_t));
  if (m == NULL) return 0;
  m->L = calloc((size_t) layers, sizeof(layer_w));
  if (m->L == NULL) {
    free(m);
    return 0;
  }
  *m = (model_t) {layers, vocab, h, hp, nKv, g, hd, inter, normConstant, qkFloor, embedding, finalNorm, m->L, {0}};
  return (jlong) (intptr_t) m;
}

/* Projection `which` (0 qkv, 1 o, 2 gate|up, 3 down) of a layer, or 4: the vocab head (h, vocab; layer 0, no
 * bias): its input-major chunks (in, widths[c]) and bias (out) or null. Returns OK or BAD_SHAPE / BAD_BUFFER /
 * NO_MEMORY. */
JNIEXPORT jint JNICALL Java_io_tokenmill_engine_runtime_NativeKernels_setProjection(JNIEnv *env, jclass cls,
    jlong handle, jint layer, jint which, jobjectArray jchunks, jintArray jwidths, jobject jbias) {
  (void) cls;
  model_t *m = (model_t *) (intptr_t) handle;
  if (m == NULL || layer < 0 || layer >= m->layers || which < 0 || which > 4) return BAD_SHAPE;
  if (which == 4 && (layer != 0 || jbias != NULL)) return BAD_SHAPE;
  int qkvOut = m->nKv * (m->g + 2) * m->hd, attnWidth = m->nKv * m->g * m->hd;
  int ins[] = {m->hp, attnWidth, m->hp, m->inter, m->h}, outs[] = {qkvOut, m->hp, 2 * m->inter, m->hp, m->vocab};
  int in = ins[which], out = outs[which];
  int chunks = (*env)->GetArrayLength(env, jchunks);
  if (chunks <= 0 || (*env)->GetArrayLength(env, jwidths) != chunks) return BAD_SHAPE;
  const float **w = calloc((size_t) chunks, sizeof(float *));
  int *width = calloc((size_t) chunks, sizeof(int));
  if (w == NULL || width == NULL) {
    free(w);
    free(width);
    return NO_MEMORY;
  }
  (*env)->GetIntArrayRegion(env, jwidths, 0, chunks, width);
  long total = 0;
  int rc = OK;
  for (int c = 0; c < chunks && rc == OK; c++) {
    void *address;
    jobject chunk = (*env)->GetObjectArrayElement(env, jchunks, c);
    if (width[c] <= 0) rc = BAD_SHAPE;
    else if (!tm_direct(env, chunk, (size_t) in * width[c] * sizeof(float), &address)) rc = BAD_BUFFER;
    else w[c] = address;
    (*env)->DeleteLocalRef(env, chunk);
    total += width[c];
  }
  void *bias = NULL;
  if (rc == OK && total != out) rc = BAD_SHAPE;
  if (rc == OK && jbias != NULL && !tm_direct(env, jbias, (size_t) out * sizeof(float), &bias)) rc = BAD_BUFFER;
  if (rc != OK) {
    free(w);
    free(width);
    return rc;
  }
  proj_t *p = which == 0 ? &m->L[layer].qkv : which == 1 ? &m->L[layer].o : which == 2 ? &m->L[layer].gateUp
      : which == 3 ? &m->L[layer].down : &m->head;
  free(p->w);
  free(p->width);
  free(p->packed);
  *p = (proj_t) {in, out, chunks, w, width, bias, NULL};
  if (packs(m) && (which != 4 || (long) in * out * (long) sizeof(float) <= SPLIT_BY_SEQUENCE_WEIGHT_BYTES)) {
    p->packed = pack(p);
    if (p->packed == NULL) return NO_MEMORY;
  }
  return OK;
}

/* Qwen3's q/k norm weight of a layer, (nKv, g + 2, hd). */
JNIEXPORT jint JNICALL Java_io_tokenmill_engine_runtime_NativeKernels_setQkNorm(JNIEnv *env, jclass cls,
    jlong handle, jint layer, jobject jweight) {
  (void) cls;
  model_t *m = (model_t *) (intptr_t) handle;
  if (m == NULL || layer < 0 || layer >= m->layers) return BAD_SHAPE;
  void *weight;
  if (!tm_direct(env, jweight, (size_t) m->nKv * (m->g + 2) * m->hd * sizeof(float), &weight)) return BAD_BUFFER;
  m->L[layer].qkNorm = weight;
  return OK;
}

/* Whether the handle's projections are packed (packs): the kernels' GEMM is then at its best at any width. */
JNIEXPORT jboolean JNICALL Java_io_tokenmill_engine_runtime_NativeKernels_packsWeights(JNIEnv *env, jclass cls,
    jlong handle) {
  (void) env;
  (void) cls;
  const model_t *m = (const model_t *) (intptr_t) handle;
  return m != NULL && packs(m) ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT void JNICALL Java_io_tokenmill_engine_runtime_NativeKernels_freeDecoder(JNIEnv *env, jclass cls,
    jlong handle) {
  (void) env;
  (void) cls;
  free_model((model_t *) (intptr_t) handle);
}

/*
 * One step through every layer: rows new tokens (tokens, positions, block tables as in decodeAttention; a
 * sequence's prefill chunk is several rows), the layers' cache pools, RoPE tables; writes the final-normed
 * hidden rows outRows[0..outCount) (each sequence's last row) to out (outCount, h). With jlogits (and the vocab
 * head set), also their logits (outCount, vocab) to jlogits, and each one's greedy id and maximum to jargmax
 * and jmax (greedy_rows). Returns OK or an error code, with the offending row in badRow[0] for BAD_TOKEN,
 * BAD_BLOCK and BAD_POSITION (checked before anything is written: tokens first, block tables before layer 0's
 * cache write).
 */
JNIEXPORT jint JNICALL Java_io_tokenmill_engine_runtime_NativeKernels_decodeStep(JNIEnv *env, jclass cls,
    jlong handle, jobjectArray jpools, jobject jcos, jobject jsin, jobject jout, jintArray joutRows, jint outCount,
    jintArray jtokens,
    jintArray jpositions, jintArray jtables, jint rows, jint numBlocks, jint blockSize, jint tableWidth,
    jint ropeLength, jint threads, jobject jlogits, jintArray jargmax, jfloatArray jmax, jintArray jbadRow) {
  (void) cls;
  const model_t *m = (const model_t *) (intptr_t) handle;
  if (m == NULL || rows <= 0 || outCount <= 0 || numBlocks <= 0 || blockSize <= 0 || tableWidth <= 0 || ropeLength <= 0) {
    return BAD_SHAPE;
  }
  for (int l = 0; l < m->layers; l++) {
    if (m->L[l].qkv.w == NULL || m->L[l].o.w == NULL || m->L[l].gateUp.w == NULL || m->L[l].down.w == NULL) {
      return BAD_SHAPE;
    }
  }
  if ((*env)->GetArrayLength(env, jpools) != m->layers || (*env)->GetArrayLength(env, jtokens) < rows
      || (*env)->GetArrayLength(env, joutRows) < outCount
      || (*env)->GetArrayLength(env, jpositions) < rows
      || (*env)->GetArrayLength(env, jtables) < (jsize) ((size_t) rows * tableWidth)) {
    return BAD_SHAPE;
  }
  if (jlogits != NULL && (m->head.w == NULL || jargmax == NULL || jmax == NULL
      || (*env)->GetArrayLength(env, jargmax) < outCount || (*env)->GetArrayLength(env, jmax) < outCount)) {
    return BAD_SHAPE;
  }
  size_t f = sizeof(float);
  void *cos, *sin, *out, *logits = NULL;
  if (!tm_direct(env, jcos, (size_t) ropeLength * m->hd * f, &cos)
      || !tm_direct(env, jsin, (size_t) ropeLength * m->hd * f, &sin)
      || !tm_direct(env, jout, (size_t) outCount * m->h * f, &out)
      || (jlogits != NULL && !tm_direct(env, jlogits, (size_t) outCount * m->vocab * f, &logits))) {
    return BAD_BUFFER;
  }
  float **pools = malloc(sizeof(float *) * (size_t) m->layers);
  if (pools == NULL) return NO_MEMORY;
  size_t poolBytes = 2 * (size_t) m->nKv * numBlocks * blockSize * m->hd * f;
  int rc = OK;
  for (int l = 0; l < m->layers && rc == OK; l++) {
    jobject pool = (*env)->GetObjectArrayElement(env, jpools, l);
    void *address;
    if (!tm_direct(env, pool, poolBytes, &address)) rc = BAD_BUFFER;
    else pools[l] = address;
    (*env)->DeleteLocalRef(env, pool);
  }
  int badRow = -1;
  /* Copies, not critical regions: the step runs for milliseconds, and the JVM must not wait on it. */
  jint *ints = rc == OK ? malloc(sizeof(jint) * ((size_t) rows * (2 + (size_t) tableWidth) + 3 * (size_t) outCount))
      : NULL;
  if (rc == OK && ints == NULL) rc = NO_MEMORY;
  if (rc == OK) {
    jint *tokens = ints, *positions = ints + rows, *tables = ints + 2 * (size_t) rows;
    (*env)->GetIntArrayRegion(env, jtokens, 0, rows, tokens);
    (*env)->GetIntArrayRegion(env, jpositions, 0, rows, positions);
    (*env)->GetIntArrayRegion(env, jtables, 0, (jsize) ((size_t) rows * tableWidth), tables);
    jint *outRows = tables + (size_t) rows * tableWidth;
    (*env)->GetIntArrayRegion(env, joutRows, 0, outCount, outRows);
    jint *argmax = outRows + outCount;
    float *max = (float *) (argmax + outCount);
    step_t S = {m, pools, cos, sin, out, outRows, tokens, positions, tables, outCount, rows, numBlocks, blockSize,
        tableWidth, ropeLength, logits, argmax, max};
    rc = decode_step(&S, threads, &badRow);
    if (rc == OK && logits != NULL) {
      (*env)->SetIntArrayRegion(env, jargmax, 0, outCount, argmax);
      (*env)->SetFloatArrayRegion(env, jmax, 0, outCount, max);
    }
  }
  free(ints);
  free(pools);
  if (rc != OK && (*env)->GetArrayLength(env, jbadRow) > 0) {
    jint row = badRow;
    (*env)->SetIntArrayRegion(env, jbadRow, 0, 1, &row);
  }
  return rc;
}
