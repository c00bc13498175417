/*===- MemrefCopy.c - strided memref copy for compiled lf code ------------===*\
|* Part of lightfuse. Plain C11: AOT objects link it with libc only.          *|
\*===----------------------------------------------------------------------===*/

#include "lightfuse/Runtime/Runtime.h"

#include <string.h>

static void copyDim(int64_t d, int64_t rank, int64_t es, const int64_t *sizes,
                    const int64_t *sStrides, const int64_t *tStrides,
                    const char *sp, char *tp) {
  int64_t n = sizes[d];
  if (d + 1 == rank) {
    if (sStrides[d] == 1 && tStrides[d] == 1) {
      memcpy(tp, sp, (size_t)(n * es));
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      memcpy(tp + i * tStrides[d] * es, sp + i * sStrides[d] * es, (size_t)es);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    copyDim(d + 1, rank, es, sizes, sStrides, tStrides,
            sp + i * sStrides[d] * es, tp + i * tStrides[d] * es);
}

void memrefCopy(int64_t elemSize, LfUnrankedMemRef *src,
                LfUnrankedMemRef *dst) {
  int64_t rank = src->rank;
  const int64_t *s = (const int64_t *)src->descriptor;
  const int64_t *t = (const int64_t *)dst->descriptor;
  const char *sp = (const char *)(intptr_t)s[1] + s[2] * elemSize;
  char *tp = (char *)(intptr_t)t[1] + t[2] * elemSize;
  if (rank == 0) {
    memcpy(tp, sp, (size_t)elemSize);
    return;
  }
  for (int64_t d = 0; d < rank; ++d)
    if (s[3 + d] == 0)
      return;
  copyDim(0, rank, elemSize, s + 3, s + 3 + rank, t + 3 + rank, sp, tp);
}
