// The runtime's row-norm kernel on its own, against a float64 loop: RMSNorm
// and LayerNorm, with and without gain/bias, scale, row lengths around the
// vector width (1, 7, 16, 17, 64, 100, 4097), output rows at every
// alignment (the streaming path peels to 64 bytes), strided rows, hostile
// rows (|mean| = 1e4 x std, and with an outlier first element, which
// LayerNorm's one-pass shifted statistics hand to the exact second pass),
// one and three threads, with and without a residual add (lf.residual_norm:
// the sum is written exactly and normalized); plain stores and the
// forced non-temporal path (LF_ROW_NORM_STREAM_BYTES=0).
// RUN: %cc -std=c11 -O2 -I%lf_src_root/include %s %lf_lib_dir/libLightfuseRuntime.a -lm -lpthread -o %t
// RUN: env LF_ROW_NORM_STREAM_BYTES=-1 %t | FileCheck %s
// RUN: env LF_ROW_NORM_STREAM_BYTES=0 %t | FileCheck %s
// CHECK: cases {{[0-9]+}}, worst error/tolerance {{0\.[0-9]+}}
// CHECK-NEXT: PASS
#include "lightfuse/Runtime/RowNorm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double urand(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return ((*s >> 8) & 0xFFFFFF) / (double)0x1000000;
}

int main(void) {
  unsigned seed = 7;
  const int64_t ds[] = {1, 7, 16, 17, 64, 100, 4097};
  double worst = 0.0;
  int cases = 0, bad = 0;
  for (int kind = 0; kind < 2; ++kind)
    for (size_t di = 0; di < sizeof(ds) / sizeof(ds[0]); ++di)
      for (int opts = 0; opts < 4; ++opts)
        for (int hostile = 0; hostile < 3; ++hostile)
          for (int threads = 1; threads <= 3; threads += 2)
            for (int residual = 0; residual < 3; ++residual) {
            int64_t d = ds[di], rows = 5, ld = d + 3, yoff = (cases * 5) % 16;
            float *x = malloc(sizeof(float) * rows * ld);
            float *ybuf = malloc(sizeof(float) * (rows * ld + 16));
            float *y = ybuf + yoff;
            float *g = malloc(sizeof(float) * d), *b = malloc(sizeof(float) * d);
            for (int64_t r = 0; r < rows; ++r) {
              double mean = hostile ? (r % 2 ? -1e4 : 1e4) : 0.0;
              for (int64_t i = 0; i < ld; ++i)
                x[r * ld + i] = (float)(mean + (urand(&seed) * 2 - 1));
              if (hostile == 2) // an outlier first: the shift is far from the mean
                x[r * ld] = (float)(mean + 1000.0);
            }
            for (int64_t i = 0; i < d; ++i) {
              g[i] = (float)(0.5 + urand(&seed));
              b[i] = (float)(urand(&seed) - 0.5);
            }
            const float *gp = opts & 1 ? g : NULL;
            const float *bp = kind == LF_ROW_NORM_LAYER && (opts & 2) ? b : NULL;
            float scale = opts == 3 ? 0.5f : 1.0f, eps = 1e-5f;
            // With a residual: sum = x + res is written and normalized.
            float *res = malloc(sizeof(float) * rows * ld);
            float *sum = malloc(sizeof(float) * rows * ld);
            for (int64_t i = 0; i < rows * ld; ++i)
              res[i] = (float)(urand(&seed) - 0.5);
            if (residual == 2) { // the sum not wanted (NULL): the test forms it
              for (int64_t i = 0; i < rows * ld; ++i)
                sum[i] = x[i] + res[i];
              lfResidualNormF32(x, ld, res, ld, gp, bp, NULL, 0, y, ld, rows, d, eps,
                                scale, kind, threads);
            } else if (residual)
              lfResidualNormF32(x, ld, res, ld, gp, bp, sum, ld, y, ld, rows, d, eps,
                                scale, kind, threads);
            else
              lfRowNormF32(x, ld, gp, bp, y, ld, rows, d, eps, scale, kind, threads);
            for (int64_t r = 0; r < rows; ++r) {
              if (residual)
                for (int64_t i = 0; i < d; ++i) {
                  float want = x[r * ld + i] + res[r * ld + i];
                  if (sum[r * ld + i] != want && bad++ < 5)
                    printf("FAIL sum d %lld row %lld col %lld: got %g want %g\n",
                           (long long)d, (long long)r, (long long)i, sum[r * ld + i], want);
                }
              const float *xr = residual ? sum + r * ld : x + r * ld;
              double mean = 0.0, q = 0.0;
              for (int64_t i = 0; i < d; ++i)
                mean += xr[i];
              mean = kind == LF_ROW_NORM_LAYER ? mean / d : 0.0;
              for (int64_t i = 0; i < d; ++i)
                q += (xr[i] - mean) * (xr[i] - mean);
              double inv = 1.0 / sqrt(q / d + eps);
              for (int64_t i = 0; i < d; ++i) {
                double want = (xr[i] - mean) * inv * (gp ? gp[i] : 1.0);
                want = (want + (bp ? bp[i] : 0.0)) * scale;
                double err = fabs(y[r * ld + i] - want) / (1e-5 * (1.0 + fabs(want)));
                if (err > worst)
                  worst = err;
                if (err > 1.0 && bad++ < 5)
                  printf("FAIL kind %d d %lld opts %d hostile %d row %lld col %lld: got %g want %g\n",
                         kind, (long long)d, opts, hostile, (long long)r, (long long)i,
                         y[r * ld + i], want);
              }
            }
            ++cases;
            free(x), free(ybuf), free(g), free(b), free(res), free(sum);
          }
  printf("cases %d, worst error/tolerance %.3f\n", cases, worst);
  printf("%s\n", bad ? "FAILED" : "PASS");
  return bad != 0;
}
