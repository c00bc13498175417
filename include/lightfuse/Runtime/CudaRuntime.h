/*===- CudaRuntime.h - lightfuse's CUDA driver-API runtime --------*- C -*-===*
 *
 * Part of lightfuse. Plain C. Loads libcuda.so.1 at run time (dlopen), so
 * binaries build and run on machines without CUDA and report "no CUDA
 * device" as an error instead of failing to load.
 *
 * Code compiled with lf-gpu-pipeline calls the mgpu* entry points MLIR's
 * GPU-to-LLVM lowering emits (module load, launch, streams, memory); this
 * library implements them on the driver API. Those functions cannot return
 * errors to compiled code: the first failure is recorded and later GPU
 * calls become no-ops until the caller takes it with lfCudaTakeError().
 *
 *===----------------------------------------------------------------------===*/

#ifndef LIGHTFUSE_RUNTIME_CUDARUNTIME_H
#define LIGHTFUSE_RUNTIME_CUDARUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when libcuda.so.1 loads, cuInit succeeds and device 0 exists; otherwise
 * 0 with the reason ("no CUDA device: ...") written to msg (may be NULL). */
int lfCudaProbe(char *msg, size_t msgSize);

/* The first error recorded since the last call, or NULL; clears it. The
 * string stays valid until the next error. */
const char *lfCudaTakeError(void);

/* Managed (host- and device-visible) memory, as compiled code allocates it.
 * lfCudaAllocShared returns NULL (and records an error) on failure. */
void *lfCudaAllocShared(size_t bytes);
void lfCudaFree(void *ptr);

/* Starts moving managed memory the host just wrote to the GPU (on the
 * default stream, ahead of the kernels that read it); a no-op without a
 * device or where the driver cannot. */
void lfCudaPrefetchToDevice(void *ptr, size_t bytes);

/* Waits for all work on the device (context synchronize). */
void lfCudaSynchronize(void);

/* The entry points compiled code calls (MLIR's GPU runtime ABI). */
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate(void);
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void *mgpuMemAlloc(uint64_t bytes, void *stream, int8_t isHostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream);
void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream);
void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSizeBytes);
void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementSizeBytes);
void mgpuSetDefaultDevice(int32_t device);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTFUSE_RUNTIME_CUDARUNTIME_H */
