//===- Pool.cpp - caching heap for compiled lf code -----------------------===//
//
// Part of lightfuse. Every block carries a 64-byte header recording its
// size class; blocks of 64 KiB and more are kept on a free list per size
// class after free, up to a global cap.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Runtime/Runtime.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {
constexpr uint64_t kHeader = 64;
constexpr uint64_t kPoolMin = 64 * 1024;
constexpr uint64_t kMagic = 0x6c66706f6f6c2121ull; // "lfpool!!"

struct Header {
  uint64_t magic;
  uint64_t sizeClass; // usable bytes
  uint64_t pooled;
};

uint64_t roundClass(uint64_t size) {
  if (size < kPoolMin)
    return (size + 63) & ~uint64_t(63);
  // Size classes: multiples of 4 KiB, growing with 1/8 granularity so that
  // a reused block wastes at most ~12.5%.
  uint64_t c = 4096;
  while (c * 8 < size)
    c *= 2;
  return (size + c - 1) / c * c;
}

struct Pool {
  std::mutex mu;
  std::unordered_map<uint64_t, std::vector<void *>> free;
  uint64_t cached = 0;
  uint64_t cap;
  Pool() {
    const char *env = std::getenv("LF_POOL_MAX_MB");
    cap = (env ? std::strtoull(env, nullptr, 10) : 4096ull) << 20;
  }
  ~Pool() { trim(); }
  void trim() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto &[size, blocks] : free)
      for (void *b : blocks)
        std::free(b);
    free.clear();
    cached = 0;
  }
};

Pool &pool() {
  static Pool *p = new Pool(); // never destroyed: blocks may outlive statics
  return *p;
}

void *allocate(uint64_t align, uint64_t size) {
  if (align > kHeader) { // rare: not pooled
    void *raw = nullptr;
    if (posix_memalign(&raw, align, size + align))
      return nullptr;
    auto *h = reinterpret_cast<Header *>(static_cast<char *>(raw) + align -
                                         kHeader);
    *h = {kMagic, size, 2 + align};
    return static_cast<char *>(raw) + align;
  }
  uint64_t cls = roundClass(size ? size : 1);
  void *raw = nullptr;
  if (cls >= kPoolMin) {
    Pool &p = pool();
    std::lock_guard<std::mutex> lock(p.mu);
    auto it = p.free.find(cls);
    if (it != p.free.end() && !it->second.empty()) {
      raw = it->second.back();
      it->second.pop_back();
      p.cached -= cls;
    }
  }
  if (!raw && posix_memalign(&raw, kHeader, cls + kHeader))
    return nullptr;
  auto *h = static_cast<Header *>(raw);
  *h = {kMagic, cls, cls >= kPoolMin ? 1u : 0u};
  return static_cast<char *>(raw) + kHeader;
}
} // namespace

extern "C" void *_mlir_memref_to_llvm_alloc(uint64_t size) {
  return allocate(16, size);
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment,
                                                    uint64_t size) {
  return allocate(alignment, size);
}

extern "C" void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  auto *h = reinterpret_cast<Header *>(static_cast<char *>(ptr) - kHeader);
  if (h->magic != kMagic) // not ours: cannot happen for lf-compiled code
    return;
  if (h->pooled >= 2) { // over-aligned block
    uint64_t align = h->pooled - 2;
    std::free(static_cast<char *>(ptr) - align);
    return;
  }
  void *raw = h;
  if (h->pooled) {
    Pool &p = pool();
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.cached + h->sizeClass <= p.cap) {
      p.free[h->sizeClass].push_back(raw);
      p.cached += h->sizeClass;
      return;
    }
  }
  std::free(raw);
}

extern "C" void lfRuntimeTrimPool(void) { pool().trim(); }
