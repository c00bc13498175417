/*===- RowNorm.c - f32 row norms and add+norm ------------------------------===*
 *
 * Part of lightfuse. See RowNorm.h. Per row: the statistics passes read the
 * row (from memory once, then from L1/L2), the output pass writes it; rows
 * are split over the runtime's thread pool.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L
#include "lightfuse/Runtime/RowNorm.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define LF_ROWNORM_X86 1
#include <immintrin.h>
#endif

typedef struct {
  const float *x, *r, *gain, *bias; /* r: the residual, or NULL */
  float *y, *s;                     /* s: where x + r goes, or NULL */
  int64_t ldx, ldr, lds, ldy, rows, d, rowsPerTask;
  float eps, scale;
  int32_t kind, stream;
} RowNormJob;

/* Portable rows [r0, r1). */
static void rowsScalar(const RowNormJob *j, int64_t r0, int64_t r1) {
  int64_t d = j->d;
  for (int64_t r = r0; r < r1; ++r) {
    const float *x = j->x + r * j->ldx;
    float *y = j->y + r * j->ldy;
    if (j->r) {
      /* x + r first (stored when asked), then the norm of that sum. */
      const float *res = j->r + r * j->ldr;
      /* With the sum not wanted, the output row holds it until overwritten
       * element by element below (y[i] depends only on x[i] and the
       * row's statistics). */
      float *sr = j->s ? j->s + r * j->lds : y;
      for (int64_t i = 0; i < d; ++i)
        sr[i] = x[i] + res[i];
      x = sr;
    }
    float shift = 0.0f, mean = 0.0f, inv;
    if (j->kind == LF_ROW_NORM_LAYER) {
      shift = x[0];
      double s = 0.0;
      for (int64_t i = 0; i < d; ++i)
        s += x[i] - shift;
      mean = (float)(s / (double)d);
      double q = 0.0;
      for (int64_t i = 0; i < d; ++i) {
        float c = x[i] - shift - mean;
        q += (double)c * c;
      }
      inv = 1.0f / sqrtf((float)(q / (double)d) + j->eps);
    } else {
      double q = 0.0;
      for (int64_t i = 0; i < d; ++i)
        q += (double)x[i] * x[i];
      inv = 1.0f / sqrtf((float)(q / (double)d) + j->eps);
    }
    for (int64_t i = 0; i < d; ++i) {
      float v = (x[i] - shift - mean) * inv;
      if (j->gain)
        v *= j->gain[i];
      if (j->bias)
        v += j->bias[i];
      y[i] = v * j->scale;
    }
  }
}

#ifdef LF_ROWNORM_X86
__attribute__((target("avx512f"))) static inline __mmask16 tailMask(int64_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

/* x[i..i+16) (masked), plus the residual's when there is one: the row the
 * norm reads. Recomputing x + r in every pass gives the same f32 values as
 * the sum that is stored. */
__attribute__((target("avx512f"))) static inline __m512
loadRow(const float *x, const float *r, int64_t i, __mmask16 m) {
  __m512 v = _mm512_maskz_loadu_ps(m, x + i);
  return r ? _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r + i)) : v;
}

/* Elements before the first 64-byte boundary at or after `p` (at most d). */
static inline int64_t headTo64(const void *p, int64_t d) {
  int64_t mis = (int64_t)(((uintptr_t)p & 63) / sizeof(float));
  int64_t head = mis ? 16 - mis : 0;
  return head < d ? head : d;
}

/* Stores a row of `d` values computed by `at(i, mask)`: a masked head to
 * the next 64-byte boundary (so that neither the stores nor the loads of an
 * input with the same misalignment - numpy's 16-byte-aligned arrays - split
 * cache lines), then whole vectors, non-temporal when streaming, and a
 * masked tail. */
#define LF_STORE_ROW(dst, d, stream, at, pf)                                   \
  do {                                                                         \
    int64_t i_ = headTo64((dst), (d));                                         \
    if (i_) {                                                                  \
      __mmask16 m_ = tailMask(i_);                                             \
      _mm512_mask_storeu_ps((dst), m_, at(0, m_));                             \
    }                                                                          \
    if (stream) {                                                              \
      for (; i_ + 16 <= (d); i_ += 16) {                                       \
        pf(i_);                                                                \
        _mm512_stream_ps((dst) + i_, at(i_, (__mmask16)0xFFFF));               \
      }                                                                        \
    } else {                                                                   \
      for (; i_ + 16 <= (d); i_ += 16)                                         \
        _mm512_store_ps((dst) + i_, at(i_, (__mmask16)0xFFFF));                \
    }                                                                          \
    if (i_ < (d)) {                                                            \
      __mmask16 m_ = tailMask((d)-i_);                                         \
      _mm512_mask_storeu_ps((dst) + i_, m_, at(i_, m_));                       \
    }                                                                          \
  } while (0)

/* Sums of c and of c^2 over a row, c = x (+ r) - shift - mv with each
 * subtraction only where asked (`shifted`, `centred`; RMSNorm's statistics
 * need neither, nor the plain sum: `wantSum`). Four accumulators each;
 * always inlined so that each caller's constant flags leave only the work
 * it needs in the loop. */
__attribute__((target("avx512f,fma"), always_inline)) static inline void
rowSums(const float *x, const float *r, int64_t d, __m512 shift, __m512 mv,
        int shifted, int centred, int wantSum, float *sum, float *sq) {
  __m512 s[4], q[4];
  for (int k = 0; k < 4; ++k)
    s[k] = q[k] = _mm512_setzero_ps();
  /* A masked head brings x to a 64-byte boundary: the loads below then
   * never split a cache line. */
  int64_t i = headTo64(x, d);
  if (i) {
    __mmask16 m = tailMask(i);
    __m512 c = loadRow(x, r, 0, m);
    if (shifted)
      c = _mm512_maskz_sub_ps(m, c, shift);
    if (centred)
      c = _mm512_maskz_sub_ps(m, c, mv);
    if (wantSum)
      s[1] = c;
    q[1] = _mm512_mul_ps(c, c);
  }
  for (; i + 64 <= d; i += 64)
    for (int k = 0; k < 4; ++k) {
      __m512 c = loadRow(x, r, i + 16 * k, 0xFFFF);
      if (shifted)
        c = _mm512_sub_ps(c, shift);
      if (centred)
        c = _mm512_sub_ps(c, mv);
      if (wantSum)
        s[k] = _mm512_add_ps(s[k], c);
      q[k] = _mm512_fmadd_ps(c, c, q[k]);
    }
  for (; i < d; i += 16) {
    __mmask16 m = tailMask(d - i);
    __m512 c = loadRow(x, r, i, m);
    if (shifted)
      c = _mm512_maskz_sub_ps(m, c, shift);
    if (centred)
      c = _mm512_maskz_sub_ps(m, c, mv);
    if (wantSum)
      s[0] = _mm512_add_ps(s[0], c);
    q[0] = _mm512_fmadd_ps(c, c, q[0]);
  }
  *sum = wantSum ? _mm512_reduce_add_ps(_mm512_add_ps(
                       _mm512_add_ps(s[0], s[1]), _mm512_add_ps(s[2], s[3])))
                 : 0.0f;
  *sq = _mm512_reduce_add_ps(
      _mm512_add_ps(_mm512_add_ps(q[0], q[1]), _mm512_add_ps(q[2], q[3])));
}

/* AVX-512 rows [r0, r1): four independent accumulators per statistic.
 * Always inlined into rowsAvx512's dispatch, once per combination of the
 * flags, so that the element loops test none of them. */
__attribute__((target("avx512f,fma"), always_inline)) static inline void
rowsAvx512Impl(const RowNormJob *j, int64_t r0, int64_t r1, int layer,
               int hasGain, int hasBias, int hasRes, int unitScale) {
  int64_t d = j->d;
  const float *g = j->gain, *b = j->bias;
  __m512 scale = _mm512_set1_ps(j->scale);
  for (int64_t r = r0; r < r1; ++r) {
    const float *x = j->x + r * j->ldx;
    const float *res = hasRes ? j->r + r * j->ldr : NULL;
    float *y = j->y + r * j->ldy;
    /* The residual stream x + r goes out first (its row stays in L1/L2 for
     * the passes below, which recompute the same sums). */
#define LF_SUM_AT(i, m) loadRow(x, res, (i), (m))
#define LF_NO_PREFETCH(i) ((void)0)
    if (hasRes && j->s)
      LF_STORE_ROW(j->s + r * j->lds, d, j->stream, LF_SUM_AT, LF_NO_PREFETCH);
#undef LF_NO_PREFETCH
#undef LF_SUM_AT
    /* The output centres in two steps, (x - shift) - mean: folding them into
     * one f32 constant would round it at |x|'s scale. */
    __m512 shift = _mm512_setzero_ps(), centre = _mm512_setzero_ps();
    float inv;
    if (layer) {
      /* One pass: sums of c = x - K and c^2 (K = the row's first element),
       * var = E[c^2] - E[c]^2. That cancels only when the mean is far from K
       * against the spread (|E[c]|^2 > 32 var); then a second pass over the
       * row, now in L1/L2, sums (c - E[c])^2 exactly. */
      shift = _mm512_set1_ps(res ? x[0] + res[0] : x[0]);
      float sum, sq;
      rowSums(x, res, d, shift, centre, 1, 0, 1, &sum, &sq);
      float mean = sum / (float)d;
      float var = sq / (float)d - mean * mean;
      centre = _mm512_set1_ps(mean);
      if (!(mean * mean <= 32.0f * var)) {
        rowSums(x, res, d, shift, centre, 1, 1, 0, &sum, &sq);
        var = sq / (float)d;
      }
      inv = 1.0f / sqrtf(var + j->eps);
    } else {
      float sum, sq;
      rowSums(x, res, d, shift, centre, 0, 0, 0, &sum, &sq);
      inv = 1.0f / sqrtf(sq / (float)d + j->eps);
    }
    /* Output: y = ((x - shift - mean) * inv * g + b) * scale, computed as
     * c * (g * (inv * scale)) + b * scale: two operations per element for
     * RMSNorm, four for LayerNorm. */
    __m512 ivs = _mm512_set1_ps(inv * j->scale);
#define LF_ROW_OUT(i, m)                                                       \
  ({                                                                           \
    __m512 c_ = loadRow(x, res, (i), (m));                                     \
    if (layer)                                                                 \
      c_ = _mm512_sub_ps(_mm512_sub_ps(c_, shift), centre);                    \
    __m512 t_ = hasGain                                                        \
                    ? _mm512_mul_ps(ivs, _mm512_maskz_loadu_ps((m), g + (i)))  \
                    : ivs;                                                     \
    __m512 b_ = hasBias ? _mm512_maskz_loadu_ps((m), b + (i))                  \
                        : _mm512_setzero_ps();                                 \
    if (hasBias && !unitScale)                                                 \
      b_ = _mm512_mul_ps(b_, scale);                                           \
    hasBias ? _mm512_fmadd_ps(c_, t_, b_) : _mm512_mul_ps(c_, t_);             \
  })
    /* Streaming (rows from memory): while this row goes out, the next one
     * comes in - the stores leave the loads idle. Into L2, not L1: a 4096
     * row (16 KiB) with its gain and bias fills the 48 KiB L1 by itself, and
     * the next row pulled into L1 evicted them (LayerNorm with gain and bias
     * at 16384 x 4096: 8% slower with T0). (In cache the prefetches only
     * cost: a tenth slower at 512 x 768.) */
    const char *nx = r + 1 < r1 ? (const char *)(x + j->ldx) : NULL;
    const char *nr = hasRes && r + 1 < r1 ? (const char *)(res + j->ldr) : NULL;
#define LF_NEXT_ROW(i)                                                         \
  do {                                                                         \
    if (nx)                                                                    \
      _mm_prefetch(nx + 4 * (i), _MM_HINT_T1);                                 \
    if (nr)                                                                    \
      _mm_prefetch(nr + 4 * (i), _MM_HINT_T1);                                 \
  } while (0)
    LF_STORE_ROW(y, d, j->stream, LF_ROW_OUT, LF_NEXT_ROW);
#undef LF_NEXT_ROW
#undef LF_ROW_OUT
  }
  if (j->stream)
    _mm_sfence();
}

#define LF_ROWS_CASE(L, G, B, R)                                               \
  case (L) | (G) << 1 | (B) << 2 | (R) << 3:                                   \
    rowsAvx512Impl(j, r0, r1, L, G, B, R, 1);                                  \
    return;

__attribute__((target("avx512f,fma"))) static void
rowsAvx512(const RowNormJob *j, int64_t r0, int64_t r1) {
  int layer = j->kind == LF_ROW_NORM_LAYER, g = j->gain != NULL,
      b = j->bias != NULL, res = j->r != NULL;
  if (j->scale != 1.0f && b) {
    /* A bias scaled by LayerNorm Scaling's factor: one generic copy. */
    rowsAvx512Impl(j, r0, r1, layer, g, b, res, 0);
    return;
  }
  switch (layer | g << 1 | b << 2 | res << 3) {
    LF_ROWS_CASE(0, 0, 0, 0) LF_ROWS_CASE(1, 0, 0, 0) LF_ROWS_CASE(0, 1, 0, 0)
    LF_ROWS_CASE(1, 1, 0, 0) LF_ROWS_CASE(0, 0, 1, 0) LF_ROWS_CASE(1, 0, 1, 0)
    LF_ROWS_CASE(0, 1, 1, 0) LF_ROWS_CASE(1, 1, 1, 0) LF_ROWS_CASE(0, 0, 0, 1)
    LF_ROWS_CASE(1, 0, 0, 1) LF_ROWS_CASE(0, 1, 0, 1) LF_ROWS_CASE(1, 1, 0, 1)
    LF_ROWS_CASE(0, 0, 1, 1) LF_ROWS_CASE(1, 0, 1, 1) LF_ROWS_CASE(0, 1, 1, 1)
    LF_ROWS_CASE(1, 1, 1, 1)
  }
}
#undef LF_ROWS_CASE

#endif

static void rowNormTask(void *ctx, int64_t task) {
  const RowNormJob *j = (const RowNormJob *)ctx;
  int64_t r0 = task * j->rowsPerTask;
  int64_t r1 = r0 + j->rowsPerTask < j->rows ? r0 + j->rowsPerTask : j->rows;
  if (r0 >= r1)
    return;
#ifdef LF_ROWNORM_X86
  if (lfHasAvx512()) {
    rowsAvx512(j, r0, r1);
    return;
  }
#endif
  rowsScalar(j, r0, r1);
}

/* Output bytes from which stores are non-temporal: half the last-level
 * cache (the input takes the other half), or LF_ROW_NORM_STREAM_BYTES when
 * set (tests force the streaming path with 0); -1: never. */
static int64_t streamThreshold(void) {
  static int64_t cached = -2;
  if (cached == -2) {
    const char *env = getenv("LF_ROW_NORM_STREAM_BYTES");
    if (env && *env) {
      cached = atoll(env);
    } else {
      long v = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
      v = sysconf(_SC_LEVEL3_CACHE_SIZE);
      if (v <= 0)
        v = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
      cached = v > 0 ? v / 2 : -1;
    }
  }
  return cached;
}

void lfRowNormF32(const float *x, int64_t ldx, const float *gain,
                  const float *bias, float *y, int64_t ldy, int64_t rows,
                  int64_t d, float eps, float scale, int32_t kind,
                  int32_t threads) {
  lfResidualNormF32(x, ldx, NULL, 0, gain, bias, NULL, 0, y, ldy, rows, d, eps,
                    scale, kind, threads);
}

void lfResidualNormF32(const float *x, int64_t ldx, const float *r,
                       int64_t ldr, const float *gain, const float *bias,
                       float *sum, int64_t lds, float *y, int64_t ldy,
                       int64_t rows, int64_t d, float eps, float scale,
                       int32_t kind, int32_t threads) {
  if (rows <= 0 || d <= 0)
    return;
  int64_t threshold = streamThreshold();
  int64_t bytes = rows * d * (int64_t)sizeof(float);
  RowNormJob job = {x, r, gain, bias, y, r ? sum : NULL, ldx, ldr, lds, ldy,
                    rows, d, 0, eps, scale, kind,
                    /*stream=*/threshold >= 0 && bytes >= threshold};
  int64_t tasks = lfResolveThreads(threads);
  /* At least ~64 KiB of rows per task: smaller shares cost more to hand out
   * than they take. */
  int64_t minRows = (16384 + d - 1) / d;
  if (tasks > (rows + minRows - 1) / minRows)
    tasks = (rows + minRows - 1) / minRows;
  if (tasks < 1)
    tasks = 1;
  job.rowsPerTask = (rows + tasks - 1) / tasks;
  tasks = (rows + job.rowsPerTask - 1) / job.rowsPerTask;
  lfParallelFor(tasks, rowNormTask, &job);
}

void _mlir_ciface_lf_row_norm_f32(LfMemRef2F32 *x, LfMemRef1F32 *gain,
                                  LfMemRef1F32 *bias, LfMemRef2F32 *y,
                                  float eps, float scale, int32_t kind,
                                  int32_t threads) {
  const float *g = gain->sizes[0] ? gain->aligned + gain->offset : NULL;
  const float *b = bias->sizes[0] ? bias->aligned + bias->offset : NULL;
  lfRowNormF32(x->aligned + x->offset, x->strides[0], g, b,
               y->aligned + y->offset, y->strides[0], x->sizes[0], x->sizes[1],
               eps, scale, kind, threads);
}

void _mlir_ciface_lf_residual_norm_f32(LfMemRef2F32 *x, LfMemRef2F32 *r,
                                       LfMemRef1F32 *gain, LfMemRef1F32 *bias,
                                       LfMemRef2F32 *sum, LfMemRef2F32 *y,
                                       float eps, float scale, int32_t kind,
                                       int32_t threads) {
  const float *g = gain->sizes[0] ? gain->aligned + gain->offset : NULL;
  const float *b = bias->sizes[0] ? bias->aligned + bias->offset : NULL;
  lfResidualNormF32(x->aligned + x->offset, x->strides[0],
                    r->aligned + r->offset, r->strides[0], g, b,
                    sum->sizes[0] ? sum->aligned + sum->offset : NULL,
                    sum->strides[0],
                    y->aligned + y->offset, y->strides[0], x->sizes[0],
                    x->sizes[1], eps, scale, kind, threads);
}
