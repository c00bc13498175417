/* Links an lf-compile object with nothing but libLightfuseRuntime and libm. */
#include "kernels.h"

#include <math.h>
#include <stdio.h>

int main(void) {
  enum { R = 3, D = 8 };
  float x[R * D], g[D];
  for (int i = 0; i < R * D; ++i)
    x[i] = (float)(i % 5) - 2.0f;
  for (int i = 0; i < D; ++i)
    g[i] = 1.0f + 0.5f * i;
  int64_t xs[2] = {R, D}, gs[1] = {D};
  lf_rms_results r;
  for (int iter = 0; iter < 3; ++iter) { /* repeated calls reuse buffers */
    lf_rms(&r, x, xs, g, gs);
    if (iter < 2)
      lf_release(r.r0.allocated);
  }
  float worst = 0;
  const float *y = (const float *)r.r0.aligned + r.r0.offset;
  for (int row = 0; row < R; ++row) {
    double ss = 0;
    for (int i = 0; i < D; ++i)
      ss += (double)x[row * D + i] * x[row * D + i];
    double rs = 1.0 / sqrt(ss / D + 1e-6);
    for (int i = 0; i < D; ++i)
      worst = fmaxf(worst, fabsf(y[row * r.r0.strides[0] + i] - (float)(x[row * D + i] * rs * g[i])));
  }
  printf("rms: shape %lldx%lld, max error %s\n", (long long)r.r0.sizes[0],
         (long long)r.r0.sizes[1], worst < 1e-5f ? "< 1e-5" : "TOO LARGE");
  lf_release(r.r0.allocated);

  float a[6] = {-2, -1, 0, 1, 2, 3}, b[6] = {1, 1, 1, 2, 2, 2};
  int64_t s23[2] = {2, 3};
  lf_swiglu_results s;
  lf_swiglu(&s, a, s23, b, s23);
  const float *glu = (const float *)s.r0.aligned, *sum = (const float *)s.r1.aligned;
  printf("swiglu: %.4f %.4f %.4f | add: %g %g\n", glu[0], glu[3], glu[5], sum[0], sum[5]);
  lf_release(s.r0.allocated);
  lf_release(s.r1.allocated);

  uint16_t h[4] = {0xBC00 /* -1 */, 0x3C00 /* 1 */, 0x0000, 0x4000 /* 2 */};
  int64_t hs[1] = {4};
  lf_half_results hr;
  lf_half(&hr, h, hs);
  const uint16_t *ho = (const uint16_t *)hr.r0.aligned;
  printf("half: %04x %04x %04x %04x\n", ho[0], ho[1], ho[2], ho[3]);
  lf_release(hr.r0.allocated);

  /* A wrong static dimension is refused before the call. */
  int64_t wrong[2] = {R, D + 1};
  printf("bad shape: %d\n", lf_rms(&r, x, wrong, g, gs));
  return 0;
}
