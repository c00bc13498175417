//===- MemrefCopy.cpp - strided memref copy for compiled lf code ----------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Runtime/Runtime.h"

#include <cstring>

namespace {
struct View {
  char *data;
  const int64_t *sizes;
  const int64_t *strides;
};

View viewOf(int64_t rank, void *desc, int64_t elemSize) {
  auto *w = static_cast<int64_t *>(desc);
  char *aligned = reinterpret_cast<char *>(w[1]);
  return {aligned + w[2] * elemSize, w + 3, w + 3 + rank};
}

void copyDim(int64_t d, int64_t rank, int64_t es, const View &s, const View &t,
             const char *sp, char *tp) {
  int64_t n = s.sizes[d];
  if (d + 1 == rank) {
    if (s.strides[d] == 1 && t.strides[d] == 1) {
      std::memcpy(tp, sp, n * es);
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(tp + i * t.strides[d] * es, sp + i * s.strides[d] * es, es);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    copyDim(d + 1, rank, es, s, t, sp + i * s.strides[d] * es,
            tp + i * t.strides[d] * es);
}
} // namespace

extern "C" void memrefCopy(int64_t elemSize, LfUnrankedMemRef *src,
                           LfUnrankedMemRef *dst) {
  int64_t rank = src->rank;
  View s = viewOf(rank, src->descriptor, elemSize);
  View t = viewOf(rank, dst->descriptor, elemSize);
  if (rank == 0) {
    std::memcpy(t.data, s.data, elemSize);
    return;
  }
  for (int64_t d = 0; d < rank; ++d)
    if (s.sizes[d] == 0)
      return;
  copyDim(0, rank, elemSize, s, t, s.data, t.data);
}
