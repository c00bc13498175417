/* Calls the plain wrapper of an nvptx object (header passed with -include). */
#include <stdio.h>

int main(void) {
  static float x[3 * 256], g[256], b[256], wg[512 * 256], wu[512 * 256],
      wd[256 * 512], bd[256], fg[256], fb[256];
  int64_t xs[2] = {3, 256}, v[1] = {256}, w1[2] = {512, 256}, w2[2] = {256, 512};
  lf_prenorm_block_results r;
  int rc = lf_prenorm_block(&r, x, xs, g, v, b, v, wg, w1, wu, w1, wd, w2, bd,
                            v, fg, v, fb, v);
  printf("lf_prenorm_block returned %d\n", rc);
  char msg[512];
  if (!lfCudaProbe(msg, sizeof msg))
    printf("%s\n", msg);
  return 0;
}
