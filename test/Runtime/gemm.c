// The runtime's packed GEMM kernel on its own, against a float64 loop:
// every blocking tail (rows not a multiple of 6, columns not a multiple of
// 64, K over one k block, K = 0), bias and ReLU, one and three threads; and
// the GLU kernel's gate activations element by element over [-12, 12].
// RUN: %cc -std=c11 -O2 -I%lf_src_root/include %s %lf_lib_dir/libLightfuseRuntime.a -lm -lpthread -o %t
// RUN: %t | FileCheck %s
#include "lightfuse/Runtime/Gemm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static float *randoms(int64_t n, unsigned *seed) {
  float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; ++i)
    p[i] = (float)((*seed = *seed * 1103515245u + 12345u) >> 8 & 0xffff) /
               32768.0f - 1.0f;
  return p;
}

static int check(int64_t m, int64_t n, int64_t k, int bias, int32_t act,
                 int32_t threads) {
  unsigned seed = (unsigned)(m * 131 + n * 17 + k);
  float *a = randoms(m * k, &seed), *w = randoms(n * k, &seed);
  float *b = bias ? randoms(n, &seed) : NULL;
  float *packed = malloc((size_t)(lfPackedWeightsSize(n, k) + 1) * sizeof(float));
  float *c = malloc((size_t)(m * n + 1) * sizeof(float));
  lfPackWeightsF32(w, k, n, k, packed);
  lfGemmPackedF32(a, k, packed, n, k, b, c, n, m, act, threads);
  // The numerics suites' f32 rule (lightfuse.testing.harness): |c - ref| <=
  // tol * (max(1, max|ref|) + |ref|), tol = 1e-5, 10x from K = 768 on.
  double *ref = malloc((size_t)(m * n + 1) * sizeof(double)), scale = 1.0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = b ? b[j] : 0.0;
      for (int64_t kk = 0; kk < k; ++kk)
        s += (double)a[i * k + kk] * w[j * k + kk];
      if (act == LF_GEMM_RELU && s < 0)
        s = 0;
      ref[i * n + j] = s;
      if (fabs(s) > scale)
        scale = fabs(s);
    }
  double tol = k >= 768 ? 1e-4 : 1e-5;
  int ok = 1;
  for (int64_t i = 0; i < m * n; ++i)
    if (!(fabs(c[i] - ref[i]) <= tol * (scale + fabs(ref[i]))))
      ok = 0;
  free(ref);
  free(a), free(w), free(b), free(packed), free(c);
  printf("%s m=%lld n=%lld k=%lld bias=%d act=%d threads=%d\n", ok ? "ok" : "FAIL",
         (long long)m, (long long)n, (long long)k, bias, act, threads);
  return ok;
}

/* lfGemmGluPackedF32 with K = 1, x = 1 and up weights 1: row i of the
 * result is act(gate weights), which span [-12, 12] over 200 columns (three
 * panels and a tail), so each activation's vector code is checked against
 * libm in double element by element, with a relative bound: GELU's and the
 * sigmoid's negative tails are tiny, and an absolute bound would pass
 * anything there. */
static int checkGlu(int32_t act, const char *name) {
  enum { M = 7, N = 200 };
  float x[M], wg[N], wu[N], c[M * N];
  float *pg = malloc((size_t)lfPackedWeightsSize(N, 1) * sizeof(float));
  float *pu = malloc((size_t)lfPackedWeightsSize(N, 1) * sizeof(float));
  for (int i = 0; i < M; ++i)
    x[i] = 1.0f;
  for (int j = 0; j < N; ++j)
    wg[j] = -12.0f + 24.0f * (float)j / (N - 1), wu[j] = 1.0f;
  lfPackWeightsF32(wg, 1, N, 1, pg);
  lfPackWeightsF32(wu, 1, N, 1, pu);
  lfGemmGluPackedF32(x, 1, pg, pu, N, 1, NULL, NULL, c, N, M, act, 1);
  double worst = 0.0;
  for (int i = 0; i < M * N; ++i) {
    double g = wg[i % N], want = g;
    if (act == LF_GEMM_GLU_SIGMOID)
      want = 1.0 / (1.0 + exp(-g));
    else if (act == LF_GEMM_GLU_SILU)
      want = g / (1.0 + exp(-g));
    else if (act == LF_GEMM_GLU_RELU)
      want = g > 0 ? g : 0.0;
    else if (act == LF_GEMM_GLU_GELU)
      want = 0.5 * g * erfc(-g / sqrt(2.0));
    double err = fabs(c[i] - want) / (fabs(want) + 1e-30);
    if (!(err <= worst))
      worst = err;
  }
  free(pg), free(pu);
  int ok = worst <= 2e-6;
  printf("%s glu %s: worst relative error %.1e\n", ok ? "ok" : "FAIL", name,
         worst);
  return ok;
}

int main(void) {
  int all = 1;
  all &= checkGlu(LF_GEMM_GLU_NONE, "none");
  all &= checkGlu(LF_GEMM_GLU_SIGMOID, "sigmoid");
  all &= checkGlu(LF_GEMM_GLU_SILU, "silu");
  all &= checkGlu(LF_GEMM_GLU_RELU, "relu");
  all &= checkGlu(LF_GEMM_GLU_GELU, "gelu");
  // K = 1025 and 2100: two and three k blocks (equal splits of K, at most
  // 1024 each, fewer with a smaller L2), bias and ReLU in the last one.
  const int64_t shapes[][3] = {{1, 1, 1},   {13, 100, 77}, {7, 65, 600},
                               {64, 128, 512}, {100, 64, 1025}, {5, 3, 0},
                               {0, 64, 16}, {20, 70, 2100}};
  for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); ++s)
    for (int threads = 1; threads <= 3; threads += 2)
      all &= check(shapes[s][0], shapes[s][1], shapes[s][2], (int)(s % 2),
                   s % 3 == 1 ? LF_GEMM_RELU : LF_GEMM_IDENTITY, threads);
  // CHECK-NOT: FAIL
  // CHECK: all cases: ok
  printf("all cases: %s\n", all ? "ok" : "FAIL");
  return 0;
}
