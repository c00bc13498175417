/*===- Gemm.c - packed f32 GEMM micro-kernels for lf.linear ----------------===*
 *
 * Part of lightfuse. C[M, N] = A[M, K] W^T (+ bias, activation) with W
 * packed once into panels of 64 output columns (lfPackWeightsF32): the
 * BLIS-style register-blocked kernel generated code calls for f32 linears
 * (IREE's ukernel approach). Plain C11 with AVX-512 intrinsics behind a
 * run-time CPU check and a portable fallback, so the runtime still links and
 * runs everywhere.
 *
 * Blocking (row-major A and C, packed W):
 *   for k0 in K step KC (<= 1024):    W panel rows [k0, k0 + KC) stay in L2
 *     for p0 in panels step NCP (4):  a KC x 256 block of W in L2
 *     for m0 in M step MC (96):       the A block MC x KC stays in L2
 *       for p in N / 64 panels:       the W micro-panel KC x 64 streams from L2
 *         for r0 in MC step MR:       kernel: MR x 64 accumulators in zmm
 *                                     registers over the whole KC block
 * The MR x 64 tile of C is loaded once and stored once per KC block; bias
 * and activation are applied when the last KC block is stored.
 *
 *===----------------------------------------------------------------------===*/

#include "lightfuse/Runtime/Gemm.h"

#include <math.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define LF_GEMM_X86 1
#include <immintrin.h>
#endif

#ifndef LF_GEMM_MC
#define LF_GEMM_MC 96
#endif
#ifndef LF_GEMM_NCP
#define LF_GEMM_NCP 4
#endif
enum { NR = LF_GEMM_PANEL, MR = 6, MC = LF_GEMM_MC, NCP = LF_GEMM_NCP };

/* The k block for a reduction of `k`: the largest that lets NCP panels'
 * blocks (KC x NCP * 64 floats) fill half the per-core L2, the A block and
 * the C tiles taking the rest - 1024 with a 2 MiB L2 (Sapphire Rapids), 512
 * with 1 MiB (Zen 4), between 256 and 1024 - and K split into equal blocks
 * (2816: 3 x 939, not 1024 + 1024 + 768). Every k block after the first
 * reloads the C tiles, so fewer blocks are faster as long as the weight
 * block stays in L2: 1-4% on 2048x2816x1024 and 512x1024x1024 against a
 * fixed 512 here. LF_GEMM_KC fixes the block size (experiments). */
static int64_t kcFor(int64_t k) {
#ifdef LF_GEMM_KC
  int64_t kcMax = LF_GEMM_KC;
#else
  static int64_t cached;
  int64_t kcMax = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (!kcMax) {
    long l2 = -1;
#ifdef _SC_LEVEL2_CACHE_SIZE
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    kcMax = l2 > 0 ? l2 / 2 / (NCP * NR * (int64_t)sizeof(float)) / 64 * 64
                   : 512;
    kcMax = kcMax < 256 ? 256 : kcMax > 1024 ? 1024 : kcMax;
    __atomic_store_n(&cached, kcMax, __ATOMIC_RELAXED);
  }
#endif
  int64_t blocks = (k + kcMax - 1) / kcMax;
  return blocks > 1 ? (k + blocks - 1) / blocks : k;
}

void lfPackWeightsF32(const float *w, int64_t ldw, int64_t n, int64_t k,
                      float *packed) {
  int64_t panels = (n + NR - 1) / NR;
  for (int64_t p = 0; p < panels; ++p) {
    float *dst = packed + p * k * NR;
    int64_t cols = n - p * NR < NR ? n - p * NR : NR;
    for (int64_t kk = 0; kk < k; ++kk) {
      float *row = dst + kk * NR;
      for (int64_t j = 0; j < cols; ++j)
        row[j] = w[(p * NR + j) * ldw + kk];
      for (int64_t j = cols; j < NR; ++j)
        row[j] = 0.0f;
    }
  }
}

static inline float activate(float v, int32_t act) {
  switch (act) {
  case LF_GEMM_RELU:
    return v > 0.0f ? v : 0.0f;
  default:
    return v;
  }
}

static inline int isGlu(int32_t act) {
  return act >= LF_GEMM_GLU_NONE && act <= LF_GEMM_GLU_GELU;
}

/* act(gate) * up for the GLU epilogues. */
static inline float gluScalar(float gate, float up, int32_t act) {
  switch (act) {
  case LF_GEMM_GLU_SIGMOID:
    return up / (1.0f + expf(-gate));
  case LF_GEMM_GLU_SILU:
    return gate * up / (1.0f + expf(-gate));
  case LF_GEMM_GLU_RELU:
    return gate > 0.0f ? gate * up : 0.0f;
  case LF_GEMM_GLU_GELU: /* x Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2, in
                           double: x / sqrt 2 rounded to float would cost
                           1e-5 of relative error in the negative tail */
    return (float)(0.5 * gate * erfc(-(double)gate * 0.70710678118654752)) *
           up;
  default:
    return gate * up;
  }
}

/* Portable kernel: rows [0, mr), columns [0, nr) of one tile. */
static void tileScalar(const float *a, int64_t lda, const float *b, int64_t kc,
                       float *c, int64_t ldc, int mr, int nr, int first,
                       int last, const float *bias, int32_t act) {
  for (int r = 0; r < mr; ++r)
    for (int j = 0; j < nr; ++j) {
      float acc = first ? 0.0f : c[r * ldc + j];
      for (int64_t kk = 0; kk < kc; ++kk)
        acc += a[r * lda + kk] * b[kk * NR + j];
      if (last) {
        if (bias)
          acc += bias[j];
        acc = isGlu(act) ? gluScalar(c[r * ldc + j], acc, act)
                         : activate(acc, act);
      }
      c[r * ldc + j] = acc;
    }
}

#ifdef LF_GEMM_X86
/* The load/store masks of the four 16-column groups of a panel whose first
 * `nr` columns are valid. */
static inline void panelMasks(int nr, __mmask16 mask[4]) {
  for (int j = 0; j < 4; ++j) {
    int n = nr - 16 * j;
    mask[j] = n >= 16 ? (__mmask16)0xFFFF
              : n <= 0 ? (__mmask16)0
                       : (__mmask16)((1u << n) - 1);
  }
}

/* e^x to ~2 ulp: x = n ln2 + r, |r| <= ln2 / 2, a degree-6 polynomial of r
 * scaled by 2^n (Cephes' expf constants). */
static inline __attribute__((always_inline, target("avx512f,fma"))) __m512
expAvx512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)),
                    _mm512_set1_ps(88.7f));
  __m512 n = _mm512_roundscale_ps(
      _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

/* GELU x Phi(x), 16 lanes. Phi from erfc(z), z = |x| / sqrt 2, by
 * Numerical Recipes' erfcc (Chebyshev fit, relative error < 1.2e-7 for
 * every z >= 0): erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2); then
 * Phi(x) = erfc(z) / 2 for x < 0 and 1 - erfc(z) / 2 otherwise, so the
 * negative tail (where GELU is tiny) keeps its relative accuracy. */
static inline __attribute__((always_inline, target("avx512f,fma"))) __m512
geluAvx512(__m512 x) {
  __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
  __m512 t = _mm512_div_ps(
      _mm512_set1_ps(1.0f),
      _mm512_fmadd_ps(z, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
  __m512 p = _mm512_set1_ps(0.17087277f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
  /* exp(-x^2 / 2 + P) as exp(hi) exp(lo + P), hi + lo = -x^2 / 2 exactly
   * (FMA remainder): near x = -12 the exponent is about -73, where rounding
   * it to one float alone costs 4e-6 of relative error. */
  __m512 xx = _mm512_mul_ps(x, x);
  __m512 lo = _mm512_mul_ps(_mm512_set1_ps(-0.5f), _mm512_fmsub_ps(x, x, xx));
  __m512 hi = _mm512_mul_ps(_mm512_set1_ps(-0.5f), xx);
  __m512 half = _mm512_mul_ps(
      _mm512_mul_ps(_mm512_set1_ps(0.5f), t),
      _mm512_mul_ps(expAvx512(hi), expAvx512(_mm512_add_ps(p, lo))));
  __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  __m512 phi = _mm512_mask_blend_ps(
      neg, _mm512_sub_ps(_mm512_set1_ps(1.0f), half), half);
  return _mm512_mul_ps(x, phi);
}

/* act(gate) * up, 16 lanes. */
static inline __attribute__((always_inline, target("avx512f,fma"))) __m512
gluAvx512(__m512 gate, __m512 up, int32_t act) {
  __m512 one = _mm512_set1_ps(1.0f);
  switch (act) {
  case LF_GEMM_GLU_SIGMOID:
    return _mm512_div_ps(up, _mm512_add_ps(one, expAvx512(
                                                   _mm512_sub_ps(_mm512_setzero_ps(), gate))));
  case LF_GEMM_GLU_SILU:
    return _mm512_div_ps(_mm512_mul_ps(gate, up),
                         _mm512_add_ps(one, expAvx512(_mm512_sub_ps(
                                                _mm512_setzero_ps(), gate))));
  case LF_GEMM_GLU_RELU:
    return _mm512_mul_ps(_mm512_max_ps(gate, _mm512_setzero_ps()), up);
  case LF_GEMM_GLU_GELU:
    return _mm512_mul_ps(geluAvx512(gate), up);
  default:
    return _mm512_mul_ps(gate, up);
  }
}

/* R x 64 tile (R <= MR, a compile-time constant once inlined): up to 24 zmm
 * accumulators over the whole KC block. Columns past `nr` are masked on load
 * and store (the packed panel is zero there). While it runs, the tile
 * prefetches `pfLines` cache lines from `pf` into L2 (two per k step). With
 * a GLU `act`, the last block's epilogue reads the gate projection already
 * in C and stores act(gate) * (this tile + bias). */
static inline __attribute__((always_inline, target("avx512f,fma"))) void
tileBody(const float *a, int64_t lda, const float *b, int64_t kc, float *c,
         int64_t ldc, const int R, int nr, int first, int last,
         const float *bias, int32_t act, const float *pf, int64_t pfLines) {
  const float *ar[MR];
  for (int r = 0; r < R; ++r)
    ar[r] = a + r * lda;
  __mmask16 mask[4];
  panelMasks(nr, mask);
  __m512 acc[MR][4];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < 4; ++j)
      acc[r][j] = first ? _mm512_setzero_ps()
                        : _mm512_maskz_loadu_ps(mask[j], c + r * ldc + 16 * j);
  /* The k steps that also prefetch (two lines each), then the rest. */
  int64_t kpf = (pfLines + 1) / 2 < kc ? (pfLines + 1) / 2 : kc;
#define LF_TILE_STEP(kk)                                                       \
  do {                                                                         \
    const float *bk = b + (kk) * NR;                                           \
    __m512 b0 = _mm512_loadu_ps(bk), b1 = _mm512_loadu_ps(bk + 16);            \
    __m512 b2 = _mm512_loadu_ps(bk + 32), b3 = _mm512_loadu_ps(bk + 48);       \
    for (int r = 0; r < R; ++r) {                                              \
      __m512 av = _mm512_set1_ps(ar[r][kk]);                                   \
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);                          \
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);                          \
      acc[r][2] = _mm512_fmadd_ps(av, b2, acc[r][2]);                          \
      acc[r][3] = _mm512_fmadd_ps(av, b3, acc[r][3]);                          \
    }                                                                          \
  } while (0)
  int64_t kk = 0;
  for (; kk < kpf; ++kk) {
    _mm_prefetch((const char *)pf, _MM_HINT_T1);
    _mm_prefetch((const char *)(pf + 16), _MM_HINT_T1);
    pf += 32;
    LF_TILE_STEP(kk);
  }
  for (; kk + 1 < kc; kk += 2) {
    LF_TILE_STEP(kk);
    LF_TILE_STEP(kk + 1);
  }
  if (kk < kc)
    LF_TILE_STEP(kk);
#undef LF_TILE_STEP
  if (last && (bias || act != LF_GEMM_IDENTITY)) {
    __m512 bv[4];
    for (int j = 0; j < 4; ++j)
      bv[j] = bias ? _mm512_maskz_loadu_ps(mask[j], bias + 16 * j)
                   : _mm512_setzero_ps();
    __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < 4; ++j) {
        __m512 v = _mm512_add_ps(acc[r][j], bv[j]);
        if (act == LF_GEMM_RELU)
          v = _mm512_max_ps(v, zero);
        else if (isGlu(act))
          v = gluAvx512(
              _mm512_maskz_loadu_ps(mask[j], c + r * ldc + 16 * j), v, act);
        acc[r][j] = v;
      }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < 4; ++j)
      if (mask[j])
        _mm512_mask_storeu_ps(c + r * ldc + 16 * j, mask[j], acc[r][j]);
}

/* The tile for mr = 1..MR rows, each row count its own instance (no wasted
 * FMAs for a short last tile). */
__attribute__((target("avx512f,fma"))) static void
tileAvx512(const float *a, int64_t lda, const float *b, int64_t kc, float *c,
           int64_t ldc, int mr, int nr, int first, int last,
           const float *bias, int32_t act, const float *pf, int64_t pfLines) {
#define LF_TILE(R)                                                            \
  case R:                                                                      \
    tileBody(a, lda, b, kc, c, ldc, R, nr, first, last, bias, act, pf,        \
             pfLines);                                                         \
    return;
  switch (mr) {
    LF_TILE(1) LF_TILE(2) LF_TILE(3) LF_TILE(4) LF_TILE(5)
  default:
    tileBody(a, lda, b, kc, c, ldc, MR, nr, first, last, bias, act, pf,
             pfLines);
  }
#undef LF_TILE
}

/* Few rows (decode steps, M <= 4): the weights stream through once, so the
 * kernel runs each 64-column panel over the whole K in one pass (no KC
 * blocking, which would revisit every panel), with two accumulator sets for
 * even and odd k (8 independent FMA chains for one row) and a software
 * prefetch 2 KiB ahead of the panel stream. */
__attribute__((target("avx512f,fma"))) static void
fewRowsAvx512(const float *a, int64_t lda, const float *b, int64_t k, float *c,
              int64_t ldc, int mr, int nr, const float *bias, int32_t act) {
  enum { MAXR = 4 };
  __mmask16 mask[4];
  panelMasks(nr, mask);
  __m512 e[MAXR][4], o[MAXR][4];
  for (int r = 0; r < MAXR; ++r)
    for (int j = 0; j < 4; ++j)
      e[r][j] = o[r][j] = _mm512_setzero_ps();
  int64_t kk = 0;
  for (; kk + 1 < k; kk += 2) {
    const float *bk = b + kk * NR;
    _mm_prefetch((const char *)(bk + 8 * NR), _MM_HINT_T0);
    _mm_prefetch((const char *)(bk + 8 * NR + 16), _MM_HINT_T0);
    _mm_prefetch((const char *)(bk + 8 * NR + 32), _MM_HINT_T0);
    _mm_prefetch((const char *)(bk + 8 * NR + 48), _MM_HINT_T0);
    _mm_prefetch((const char *)(bk + 9 * NR), _MM_HINT_T0);
    _mm_prefetch((const char *)(bk + 9 * NR + 16), _MM_HINT_T0);
    _mm_prefetch((const char *)(bk + 9 * NR + 32), _MM_HINT_T0);
    _mm_prefetch((const char *)(bk + 9 * NR + 48), _MM_HINT_T0);
    __m512 b0 = _mm512_loadu_ps(bk), b1 = _mm512_loadu_ps(bk + 16);
    __m512 b2 = _mm512_loadu_ps(bk + 32), b3 = _mm512_loadu_ps(bk + 48);
    __m512 d0 = _mm512_loadu_ps(bk + NR), d1 = _mm512_loadu_ps(bk + NR + 16);
    __m512 d2 = _mm512_loadu_ps(bk + NR + 32), d3 = _mm512_loadu_ps(bk + NR + 48);
    for (int r = 0; r < MAXR; ++r) {
      if (r >= mr)
        break;
      __m512 av = _mm512_set1_ps(a[r * lda + kk]);
      __m512 aw = _mm512_set1_ps(a[r * lda + kk + 1]);
      e[r][0] = _mm512_fmadd_ps(av, b0, e[r][0]);
      e[r][1] = _mm512_fmadd_ps(av, b1, e[r][1]);
      e[r][2] = _mm512_fmadd_ps(av, b2, e[r][2]);
      e[r][3] = _mm512_fmadd_ps(av, b3, e[r][3]);
      o[r][0] = _mm512_fmadd_ps(aw, d0, o[r][0]);
      o[r][1] = _mm512_fmadd_ps(aw, d1, o[r][1]);
      o[r][2] = _mm512_fmadd_ps(aw, d2, o[r][2]);
      o[r][3] = _mm512_fmadd_ps(aw, d3, o[r][3]);
    }
  }
  for (; kk < k; ++kk) {
    const float *bk = b + kk * NR;
    for (int r = 0; r < mr; ++r) {
      __m512 av = _mm512_set1_ps(a[r * lda + kk]);
      for (int j = 0; j < 4; ++j)
        e[r][j] = _mm512_fmadd_ps(av, _mm512_loadu_ps(bk + 16 * j), e[r][j]);
    }
  }
  __m512 zero = _mm512_setzero_ps();
  for (int r = 0; r < mr; ++r)
    for (int j = 0; j < 4; ++j) {
      if (!mask[j])
        continue;
      __m512 v = _mm512_add_ps(e[r][j], o[r][j]);
      if (bias)
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask[j], bias + 16 * j));
      if (act == LF_GEMM_RELU)
        v = _mm512_max_ps(v, zero);
      _mm512_mask_storeu_ps(c + r * ldc + 16 * j, mask[j], v);
    }
}

#endif

int lfHasAvx512(void) {
#ifdef LF_GEMM_X86
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
  }
  return cached;
#else
  return 0;
#endif
}

/* Tile t of the row block's `tiles` prefetches its share of the next
 * panel's block (`next`, `lines` cache lines in all) into L2. */
static inline const float *prefetchShare(const float *next, int64_t lines,
                                         int64_t tiles, int64_t t,
                                         int64_t *share) {
  *share = next ? (lines + tiles - 1) / tiles : 0;
  return next ? next + t * *share * 16 : NULL;
}

/* Rows [m0, m1) and panels [q0, q1) of c = act(a W^T + bias), or with `up`
 * (the GLU kernel) c = glu(act, a W^T + bias, a Up^T + biasUp):
 *   for k0 in K step kcMax (kcFor(K); the whole K for the GLU, whose gate must be
 *                           final when the up tile's epilogue combines it)
 *     for p0 in panels step ncp (as many panels' blocks as fit L2)
 *       for mb in M step MC
 *         for p in [p0, p1): the block's rows split evenly over tiles
 *           (16 rows: 6, 5, 5, not 6, 6, 4 with the last tile as slow as a
 *           full one); for the GLU each tile runs the gate panel, stores it,
 *           then the up panel with the combining epilogue.
 * In the first row block each tile prefetches its share of the next
 * panel's block into L2: the first tile of a panel then computes instead of
 * waiting on memory. */
static void gemmBlock(const float *a, int64_t lda, const float *packed,
                      const float *up, int64_t n, int64_t k,
                      const float *bias, const float *biasUp, float *c,
                      int64_t ldc, int64_t m0, int64_t m1, int64_t q0,
                      int64_t q1, int32_t act) {
  int fast = lfHasAvx512();
  int64_t j1 = q1 * NR < n ? q1 * NR : n;
  if (k == 0) {
    for (int64_t i = m0; i < m1; ++i)
      for (int64_t j = q0 * NR; j < j1; ++j) {
        float g = bias ? bias[j] : 0.0f;
        c[i * ldc + j] = up ? gluScalar(g, biasUp ? biasUp[j] : 0.0f, act)
                            : activate(g, act);
      }
    return;
  }
#ifdef LF_GEMM_X86
  if (fast && !up && m1 - m0 <= 4) {
    for (int64_t p = q0; p < q1; ++p) {
      int nr = n - p * NR < NR ? (int)(n - p * NR) : NR;
      fewRowsAvx512(a + m0 * lda, lda, packed + p * k * NR, k,
                    c + m0 * ldc + p * NR, ldc, (int)(m1 - m0), nr,
                    bias ? bias + p * NR : NULL, act);
    }
    return;
  }
#endif
  int64_t kcMax = up ? k : kcFor(k), ncp = NCP;
  if (up) {
    /* Full-K panel pairs: as many as fit 1 MiB of L2 together. */
    int64_t pairBytes = 2 * k * NR * (int64_t)sizeof(float);
    ncp = pairBytes >= (1 << 20) ? 1 : (1 << 20) / pairBytes;
    if (ncp > NCP)
      ncp = NCP;
  }
  for (int64_t k0 = 0; k0 < k; k0 += kcMax) {
    int64_t kc = k - k0 < kcMax ? k - k0 : kcMax;
    int first = k0 == 0, last = k0 + kc == k;
    for (int64_t p0 = q0; p0 < q1; p0 += ncp) {
      int64_t p1 = p0 + ncp < q1 ? p0 + ncp : q1;
      for (int64_t mb = m0; mb < m1; mb += MC) {
        int64_t me = mb + MC < m1 ? mb + MC : m1;
        int64_t rows = me - mb, tiles = (rows + MR - 1) / MR;
        int64_t small = rows / tiles, big = rows % tiles;
        for (int64_t p = p0; p < p1; ++p) {
          int64_t off = p * k * NR + k0 * NR;
          int nr = n - p * NR < NR ? (int)(n - p * NR) : NR;
          const float *bp = bias ? bias + p * NR : NULL;
          const float *bu = biasUp ? biasUp + p * NR : NULL;
          int pf = mb == m0 && p + 1 < q1;
          int64_t r0 = mb;
          for (int64_t t = 0; t < tiles; ++t) {
            int mr = (int)(small + (t < big));
            const float *ap = a + r0 * lda + k0;
            float *cp = c + r0 * ldc + p * NR;
            r0 += mr;
#ifdef LF_GEMM_X86
            if (fast) {
              int64_t share;
              const float *pw = prefetchShare(
                  pf ? packed + off + k * NR : NULL, kc * NR / 16, tiles, t,
                  &share);
              tileAvx512(ap, lda, packed + off, kc, cp, ldc, mr, nr, first,
                         last, bp, up ? LF_GEMM_IDENTITY : act, pw, share);
              if (up) {
                pw = prefetchShare(pf ? up + off + k * NR : NULL,
                                   kc * NR / 16, tiles, t, &share);
                tileAvx512(ap, lda, up + off, kc, cp, ldc, mr, nr, 1, 1, bu,
                           act, pw, share);
              }
              continue;
            }
#endif
            tileScalar(ap, lda, packed + off, kc, cp, ldc, mr, nr, first,
                       last, bp, up ? LF_GEMM_IDENTITY : act);
            if (up)
              tileScalar(ap, lda, up + off, kc, cp, ldc, mr, nr, 1, 1, bu,
                         act);
          }
        }
      }
    }
  }
}

void lfGemmPackedF32Block(const float *a, int64_t lda, const float *packed,
                          int64_t n, int64_t k, const float *bias, float *c,
                          int64_t ldc, int64_t m0, int64_t m1, int64_t q0,
                          int64_t q1, int32_t act) {
  gemmBlock(a, lda, packed, NULL, n, k, bias, NULL, c, ldc, m0, m1, q0, q1,
            act);
}

void lfGemmGluPackedF32Block(const float *a, int64_t lda, const float *gate,
                             const float *up, int64_t n, int64_t k,
                             const float *biasGate, const float *biasUp,
                             float *c, int64_t ldc, int64_t m0, int64_t m1,
                             int64_t q0, int64_t q1, int32_t act) {
  gemmBlock(a, lda, gate, up, n, k, biasGate, biasUp, c, ldc, m0, m1, q0, q1,
            act);
}

/* Work split for `threads` workers: row blocks of a multiple of MR when
 * there are enough rows, else panels (decode: M = 1..16 streams the weights,
 * so the threads share them). */
typedef struct {
  const float *a, *packed, *bias;
  float *c;
  int64_t lda, ldc, m, n, k, panels, rowsPerTask, panelsPerTask;
  int32_t act;
  const float *up, *biasUp; /* the GLU kernel's second projection */
} GemmJob;

static void gemmTask(void *ctx, int64_t task) {
  const GemmJob *j = (const GemmJob *)ctx;
  int64_t m0 = 0, m1 = j->m, q0 = 0, q1 = j->panels;
  if (j->rowsPerTask) {
    m0 = task * j->rowsPerTask;
    m1 = m0 + j->rowsPerTask < j->m ? m0 + j->rowsPerTask : j->m;
  } else {
    q0 = task * j->panelsPerTask;
    q1 = q0 + j->panelsPerTask < j->panels ? q0 + j->panelsPerTask : j->panels;
  }
  if (m0 < m1 && q0 < q1)
    gemmBlock(j->a, j->lda, j->packed, j->up, j->n, j->k, j->bias, j->biasUp,
              j->c, j->ldc, m0, m1, q0, q1, j->act);
}

static void runGemmJob(GemmJob *job, int32_t threads);

void lfGemmPackedF32(const float *a, int64_t lda, const float *packed,
                     int64_t n, int64_t k, const float *bias, float *c,
                     int64_t ldc, int64_t m, int32_t act, int32_t threads) {
  GemmJob job = {a, packed, bias, c, lda, ldc, m, n, k, (n + NR - 1) / NR,
                 0, 0, act, NULL, NULL};
  runGemmJob(&job, threads);
}

void lfGemmGluPackedF32(const float *a, int64_t lda, const float *gate,
                        const float *up, int64_t n, int64_t k,
                        const float *biasGate, const float *biasUp, float *c,
                        int64_t ldc, int64_t m, int32_t act, int32_t threads) {
  GemmJob job = {a, gate, biasGate, c, lda, ldc, m, n, k, (n + NR - 1) / NR,
                 0, 0, act, up, biasUp};
  runGemmJob(&job, threads);
}

static void runGemmJob(GemmJob *jobp, int32_t threads) {
  GemmJob job = *jobp;
  int64_t m = job.m;
  int64_t tasks = lfResolveThreads(threads);
  if (m >= (int64_t)MR * 4 * tasks) {
    int64_t per = (m + tasks - 1) / tasks;
    job.rowsPerTask = (per + MR - 1) / MR * MR;
    tasks = (m + job.rowsPerTask - 1) / job.rowsPerTask;
  } else {
    if (tasks > job.panels)
      tasks = job.panels > 0 ? job.panels : 1;
    job.panelsPerTask = (job.panels + tasks - 1) / tasks;
    tasks = job.panels > 0
                ? (job.panels + job.panelsPerTask - 1) / job.panelsPerTask
                : 1;
  }
  lfParallelFor(tasks, gemmTask, &job);
}

void _mlir_ciface_lf_gemm_glu_f32(LfMemRef2F32 *a, LfMemRef3F32 *gate,
                                  LfMemRef3F32 *up, LfMemRef1F32 *biasGate,
                                  LfMemRef1F32 *biasUp, LfMemRef2F32 *c,
                                  int32_t act, int32_t threads) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = c->sizes[1];
  const float *bg =
      biasGate->sizes[0] ? biasGate->aligned + biasGate->offset : NULL;
  const float *bu = biasUp->sizes[0] ? biasUp->aligned + biasUp->offset : NULL;
  lfGemmGluPackedF32(a->aligned + a->offset, a->strides[0],
                     gate->aligned + gate->offset, up->aligned + up->offset, n,
                     k, bg, bu, c->aligned + c->offset, c->strides[0], m, act,
                     threads);
}

void _mlir_ciface_lf_gemm_f32(LfMemRef2F32 *a, LfMemRef3F32 *packed,
                              LfMemRef1F32 *bias, LfMemRef2F32 *c, int32_t act,
                              int32_t threads) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = c->sizes[1];
  const float *b = bias->sizes[0] ? bias->aligned + bias->offset : NULL;
  lfGemmPackedF32(a->aligned + a->offset, a->strides[0],
                  packed->aligned + packed->offset, n, k, b,
                  c->aligned + c->offset, c->strides[0], m, act, threads);
}
