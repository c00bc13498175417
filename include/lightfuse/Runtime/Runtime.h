/*===- Runtime.h - lightfuse's small runtime library --------------*- C -*-===*\
|*                                                                            *|
|* Part of lightfuse. The only symbols compiled lf code may call besides libc *|
|* and libm. JIT-compiled code gets them registered; AOT objects link        *|
|* libLightfuseRuntime. No MLIR dependency.                                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef LIGHTFUSE_RUNTIME_RUNTIME_H
#define LIGHTFUSE_RUNTIME_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An unranked memref as MLIR passes it to runtime calls: the rank and a
/// pointer to a ranked descriptor {allocated, aligned, offset, sizes[rank],
/// strides[rank]}.
typedef struct LfUnrankedMemRef {
  int64_t rank;
  void *descriptor;
} LfUnrankedMemRef;

/// Copies between two strided memrefs of equal shape; the ABI of upstream
/// MLIR's `memrefCopy` (emitted by memref.copy on non-contiguous layouts).
void memrefCopy(int64_t elemSize, LfUnrankedMemRef *src, LfUnrankedMemRef *dst);

/// Heap functions compiled lf code calls for every buffer (MLIR's
/// `use-generic-functions` ABI). Large blocks are cached after free and
/// reused for requests of the same size class, so steady-state calls touch
/// no fresh pages (a first touch costs ~12 us per 4 KiB page on the VMs this
/// project targets). The cache is bounded (LF_POOL_MAX_MB, default 4096) and
/// thread-safe.
void *_mlir_memref_to_llvm_alloc(uint64_t size);
void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment, uint64_t size);
void _mlir_memref_to_llvm_free(void *ptr);

/// Returns every cached block to the system.
void lfRuntimeTrimPool(void);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTFUSE_RUNTIME_RUNTIME_H */
