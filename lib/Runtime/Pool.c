/*===- Pool.c - caching heap for compiled lf code -------------------------===*\
|* Part of lightfuse. Plain C11 + pthreads.                                   *|
|*                                                                            *|
|* Every block carries a 64-byte header recording its size class. Blocks of   *|
|* 64 KiB and more are kept on an intrusive free list per size class after    *|
|* free, up to a global cap (LF_POOL_MAX_MB, default 4096), so steady-state   *|
|* calls reuse pages that are already mapped.                                 *|
\*===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L
#include "lightfuse/Runtime/Runtime.h"

#include <pthread.h>
#include <stdlib.h>

enum { kHeader = 64, kBuckets = 512 };
static const uint64_t kPoolMin = 64 * 1024;
static const uint64_t kMagic = 0x6c66706f6f6c2121ull; /* "lfpool!!" */

typedef struct Header {
  uint64_t magic;
  uint64_t sizeClass; /* usable bytes */
  uint64_t kind;      /* 0 plain, 1 pooled, >= 2: over-aligned by kind - 2 */
  struct Header *next; /* free-list link while cached */
} Header;

typedef struct {
  uint64_t sizeClass; /* 0: empty slot */
  Header *head;
} Bucket;

static pthread_mutex_t poolLock = PTHREAD_MUTEX_INITIALIZER;
static Bucket buckets[kBuckets];
static uint64_t cachedBytes, capBytes;
static int capRead;

static uint64_t roundClass(uint64_t size) {
  if (size < kPoolMin)
    return (size + 63) & ~(uint64_t)63;
  /* Multiples of a power-of-two quantum at most 1/8 of the size, so a reused
     block wastes at most ~12.5%. */
  uint64_t c = 4096;
  while (c * 8 < size)
    c *= 2;
  return (size + c - 1) / c * c;
}

static Bucket *bucketFor(uint64_t cls, int create) {
  uint64_t h = (cls / 4096) * 0x9E3779B97F4A7C15ull;
  for (unsigned i = 0; i < kBuckets; ++i) {
    Bucket *b = &buckets[(h + i) % kBuckets];
    if (b->sizeClass == cls)
      return b;
    if (b->sizeClass == 0) {
      if (!create)
        return NULL;
      b->sizeClass = cls;
      return b;
    }
  }
  return NULL; /* table full: do not cache this class */
}

static void *allocate(uint64_t align, uint64_t size) {
  if (align > kHeader) { /* rare: over-aligned, not pooled */
    void *raw = NULL;
    if (posix_memalign(&raw, (size_t)align, (size_t)(size + align)))
      return NULL;
    Header *h = (Header *)((char *)raw + align - kHeader);
    h->magic = kMagic;
    h->sizeClass = size;
    h->kind = 2 + align;
    return (char *)raw + align;
  }
  uint64_t cls = roundClass(size ? size : 1);
  Header *h = NULL;
  if (cls >= kPoolMin) {
    pthread_mutex_lock(&poolLock);
    Bucket *b = bucketFor(cls, 0);
    if (b && b->head) {
      h = b->head;
      b->head = h->next;
      cachedBytes -= cls;
    }
    pthread_mutex_unlock(&poolLock);
  }
  if (!h) {
    void *raw = NULL;
    if (posix_memalign(&raw, kHeader, (size_t)(cls + kHeader)))
      return NULL;
    h = (Header *)raw;
  }
  h->magic = kMagic;
  h->sizeClass = cls;
  h->kind = cls >= kPoolMin ? 1 : 0;
  h->next = NULL;
  return (char *)h + kHeader;
}

void *_mlir_memref_to_llvm_alloc(uint64_t size) { return allocate(16, size); }

void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment, uint64_t size) {
  return allocate(alignment, size);
}

void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  Header *h = (Header *)((char *)ptr - kHeader);
  if (h->magic != kMagic) /* not ours: cannot happen for lf-compiled code */
    return;
  if (h->kind >= 2) {
    free((char *)ptr - (h->kind - 2));
    return;
  }
  if (h->kind == 1) {
    pthread_mutex_lock(&poolLock);
    if (!capRead) {
      const char *env = getenv("LF_POOL_MAX_MB");
      capBytes = (env ? strtoull(env, NULL, 10) : 4096ull) << 20;
      capRead = 1;
    }
    Bucket *b = cachedBytes + h->sizeClass <= capBytes
                    ? bucketFor(h->sizeClass, 1)
                    : NULL;
    if (b) {
      h->next = b->head;
      b->head = h;
      cachedBytes += h->sizeClass;
      pthread_mutex_unlock(&poolLock);
      return;
    }
    pthread_mutex_unlock(&poolLock);
  }
  free(h);
}

void lfRuntimeTrimPool(void) {
  pthread_mutex_lock(&poolLock);
  for (unsigned i = 0; i < kBuckets; ++i) {
    Header *h = buckets[i].head;
    while (h) {
      Header *next = h->next;
      free(h);
      h = next;
    }
    buckets[i].head = NULL;
  }
  cachedBytes = 0;
  pthread_mutex_unlock(&poolLock);
}
