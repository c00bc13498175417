/*===- RowNorm.c - f32 row norms for lf.rms_norm / lf.layer_norm ----------===*
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
  const float *x, *gain, *bias;
  float *y;
  int64_t ldx, ldy, rows, d, rowsPerTask;
  float eps, scale;
  int32_t kind, stream;
} RowNormJob;

/* Portable rows [r0, r1). */
static void rowsScalar(const RowNormJob *j, int64_t r0, int64_t r1) {
  int64_t d = j->d;
  for (int64_t r = r0; r < r1; ++r) {
    const float *x = j->x + r * j->ldx;
    float *y = j->y + r * j->ldy;
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

/* Sums of c = x - shift - mv and of c^2 over a row, four accumulators
 * each. */
__attribute__((target("avx512f,fma"))) static inline void
shiftedSums(const float *x, int64_t d, __m512 shift, __m512 mv, float *sum,
            float *sq) {
  __m512 s[4], q[4];
  for (int k = 0; k < 4; ++k)
    s[k] = q[k] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= d; i += 64)
    for (int k = 0; k < 4; ++k) {
      __m512 c = _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16 * k), shift), mv);
      s[k] = _mm512_add_ps(s[k], c);
      q[k] = _mm512_fmadd_ps(c, c, q[k]);
    }
  for (; i < d; i += 16) {
    __mmask16 m = tailMask(d - i);
    __m512 c = _mm512_maskz_sub_ps(
        m, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), shift), mv);
    s[0] = _mm512_add_ps(s[0], c);
    q[0] = _mm512_fmadd_ps(c, c, q[0]);
  }
  *sum = _mm512_reduce_add_ps(
      _mm512_add_ps(_mm512_add_ps(s[0], s[1]), _mm512_add_ps(s[2], s[3])));
  *sq = _mm512_reduce_add_ps(
      _mm512_add_ps(_mm512_add_ps(q[0], q[1]), _mm512_add_ps(q[2], q[3])));
}

/* AVX-512 rows [r0, r1): four independent accumulators per statistic. */
__attribute__((target("avx512f,fma"))) static void
rowsAvx512(const RowNormJob *j, int64_t r0, int64_t r1) {
  int64_t d = j->d;
  int layer = j->kind == LF_ROW_NORM_LAYER;
  const float *g = j->gain, *b = j->bias;
  __m512 scale = _mm512_set1_ps(j->scale);
  for (int64_t r = r0; r < r1; ++r) {
    const float *x = j->x + r * j->ldx;
    float *y = j->y + r * j->ldy;
    /* The output centres in two steps, (x - shift) - mean: folding them into
     * one f32 constant would round it at |x|'s scale. */
    __m512 shift = _mm512_setzero_ps(), centre = _mm512_setzero_ps();
    float inv;
    if (layer) {
      /* One pass: sums of c = x - K and c^2 (K = the row's first element),
       * var = E[c^2] - E[c]^2. That cancels only when the mean is far from K
       * against the spread (|E[c]|^2 > 32 var); then a second pass over the
       * row, now in L1/L2, sums (c - E[c])^2 exactly. */
      shift = _mm512_set1_ps(x[0]);
      float sum, sq;
      shiftedSums(x, d, shift, _mm512_setzero_ps(), &sum, &sq);
      float mean = sum / (float)d;
      float var = sq / (float)d - mean * mean;
      centre = _mm512_set1_ps(mean);
      if (!(mean * mean <= 32.0f * var)) {
        shiftedSums(x, d, shift, centre, &sum, &sq);
        var = sq / (float)d;
      }
      inv = 1.0f / sqrtf(var + j->eps);
    } else {
      __m512 q0 = _mm512_setzero_ps(), q1 = q0, q2 = q0, q3 = q0;
      int64_t i = 0;
      for (; i + 64 <= d; i += 64) {
        __m512 a0 = _mm512_loadu_ps(x + i), a1 = _mm512_loadu_ps(x + i + 16);
        __m512 a2 = _mm512_loadu_ps(x + i + 32), a3 = _mm512_loadu_ps(x + i + 48);
        q0 = _mm512_fmadd_ps(a0, a0, q0);
        q1 = _mm512_fmadd_ps(a1, a1, q1);
        q2 = _mm512_fmadd_ps(a2, a2, q2);
        q3 = _mm512_fmadd_ps(a3, a3, q3);
      }
      for (; i < d; i += 16) {
        __m512 a = _mm512_maskz_loadu_ps(tailMask(d - i), x + i);
        q0 = _mm512_fmadd_ps(a, a, q0);
      }
      float q = _mm512_reduce_add_ps(
          _mm512_add_ps(_mm512_add_ps(q0, q1), _mm512_add_ps(q2, q3)));
      inv = 1.0f / sqrtf(q / (float)d + j->eps);
    }
    /* Output: y = ((x - shift - mean) * inv * g + b) * scale. With streaming, a
     * masked head brings y to a 64-byte boundary, whole vectors go out with
     * non-temporal stores, the tail is masked. */
    __m512 iv = _mm512_set1_ps(inv);
    int64_t i = 0;
    int64_t head = 0;
    if (j->stream) {
      uintptr_t mis = ((uintptr_t)y & 63) / sizeof(float);
      head = mis ? 16 - (int64_t)mis : 0;
      if (head > d)
        head = d;
    }
#define LF_ROW_OUT(i, m)                                                       \
  ({                                                                           \
    __m512 v_ = _mm512_mul_ps(                                                 \
        _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + (i)), shift),  \
                      centre),                                                 \
        iv);                                                                   \
    if (g)                                                                     \
      v_ = _mm512_mul_ps(v_, _mm512_maskz_loadu_ps(m, g + (i)));               \
    if (b)                                                                     \
      v_ = _mm512_add_ps(v_, _mm512_maskz_loadu_ps(m, b + (i)));               \
    _mm512_mul_ps(v_, scale);                                                  \
  })
    if (head) {
      __mmask16 m = tailMask(head);
      _mm512_mask_storeu_ps(y, m, LF_ROW_OUT(0, m));
      i = head;
    }
    if (j->stream) {
      for (; i + 16 <= d; i += 16)
        _mm512_stream_ps(y + i, LF_ROW_OUT(i, (__mmask16)0xFFFF));
    } else {
      for (; i + 16 <= d; i += 16)
        _mm512_storeu_ps(y + i, LF_ROW_OUT(i, (__mmask16)0xFFFF));
    }
    if (i < d) {
      __mmask16 m = tailMask(d - i);
      _mm512_mask_storeu_ps(y + i, m, LF_ROW_OUT(i, m));
    }
#undef LF_ROW_OUT
  }
  if (j->stream)
    _mm_sfence();
}

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
  if (rows <= 0 || d <= 0)
    return;
  int64_t threshold = streamThreshold();
  int64_t bytes = rows * d * (int64_t)sizeof(float);
  RowNormJob job = {x, gain, bias, y, ldx, ldy, rows, d, 0, eps, scale, kind,
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
