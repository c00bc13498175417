/* Runs heads.mlir's AOT object on fixed inputs and writes the output, raw
 * f32, to the file named by argv[1]. */
#include "heads.h"

#include <stdio.h>

enum { B = 2, H = 4, N = 300, D = 16 };

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  static float q[B * H * N * D], k[B * H * N * D], v[B * H * N * D];
  float s[H] = {0.5f, 0.1f, 0.01f, 0.001f};
  unsigned x = 1;
  for (int i = 0; i < B * H * N * D; ++i) {
    x = x * 1103515245u + 12345u;
    q[i] = (float)((x >> 8) & 0xffff) / 65536.0f - 0.5f;
    k[i] = q[i] * 0.5f + 0.1f;
    v[i] = 0.25f - q[i];
  }
  int64_t shape[4] = {B, H, N, D}, sshape[1] = {H};
  lf_heads_results r;
  if (lf_heads(&r, q, shape, k, shape, v, shape, s, sshape))
    return 1;
  const float *o = (const float *)r.r0.aligned + r.r0.offset;
  FILE *f = fopen(argv[1], "wb");
  if (!f || fwrite(o, sizeof(float), B * H * N * D, f) != B * H * N * D)
    return 3;
  fclose(f);
  printf("wrote %d floats\n", B * H * N * D);
  lf_release(r.r0.allocated);
  return 0;
}
