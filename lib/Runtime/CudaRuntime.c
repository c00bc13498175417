/*===- CudaRuntime.c - CUDA driver API through dlopen ----------------------===*
 *
 * Part of lightfuse. See include/lightfuse/Runtime/CudaRuntime.h.
 *
 * Only the driver API is used, declared here with its stable ABI (CUresult
 * is int, handles are pointers, CUdevice is int, CUdeviceptr is 64-bit), so
 * no CUDA header or library is needed to build.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#include "lightfuse/Runtime/CudaRuntime.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef void *CUstream;
typedef unsigned long long CUdeviceptr;
typedef struct {
  int type; /* CUmemLocationType: 1 = a device ordinal */
  int id;
} CUmemLocation;

#define CU_MEM_ATTACH_GLOBAL 0x1
#define CU_MEMHOSTREGISTER_PORTABLE 0x1

static struct {
  CUresult (*init)(unsigned);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetCount)(int *);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*ctxSynchronize)(void);
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*funcSetAttribute)(CUfunction, int, int);
  /* Optional (NULL when the driver lacks them): the CUDA 12.2+ form with a
   * location, else the original one. */
  CUresult (*memPrefetchAsyncV2)(CUdeviceptr, size_t, CUmemLocation, unsigned,
                                 CUstream);
  CUresult (*memPrefetchAsync)(CUdeviceptr, size_t, CUdevice, CUstream);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*memAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*memsetD32)(CUdeviceptr, unsigned, size_t);
  CUresult (*memHostRegister)(void *, size_t, unsigned);
  CUresult (*memHostUnregister)(void *);
  CUresult (*getErrorString)(CUresult, const char **);
} cu;

static pthread_once_t loadOnce = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char loadError[512];
static CUcontext context;
static CUdevice device;
static int ready;

/* The first unreported error. */
static char lastError[1024];
static int hasError;

static void recordError(const char *what, CUresult rc) {
  pthread_mutex_lock(&lock);
  if (!hasError) {
    const char *s = NULL;
    if (cu.getErrorString)
      cu.getErrorString(rc, &s);
    snprintf(lastError, sizeof lastError, "CUDA error in %s: %s (%d)", what,
             s ? s : "unknown error", rc);
    hasError = 1;
  }
  pthread_mutex_unlock(&lock);
}

static void recordMessage(const char *msg) {
  pthread_mutex_lock(&lock);
  if (!hasError) {
    snprintf(lastError, sizeof lastError, "%s", msg);
    hasError = 1;
  }
  pthread_mutex_unlock(&lock);
}

static void load(void) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(loadError, sizeof loadError,
             "no CUDA device: the driver library libcuda.so.1 cannot be "
             "loaded (%s)", dlerror());
    return;
  }
#define SYM(field, name)                                                       \
  do {                                                                         \
    *(void **)(&cu.field) = dlsym(lib, name);                                  \
    if (!cu.field) {                                                           \
      snprintf(loadError, sizeof loadError,                                    \
               "no CUDA device: libcuda.so.1 lacks %s", name);                 \
      return;                                                                  \
    }                                                                          \
  } while (0)
  SYM(init, "cuInit");
  SYM(deviceGet, "cuDeviceGet");
  SYM(deviceGetCount, "cuDeviceGetCount");
  SYM(primaryCtxRetain, "cuDevicePrimaryCtxRetain");
  SYM(ctxSetCurrent, "cuCtxSetCurrent");
  SYM(ctxSynchronize, "cuCtxSynchronize");
  SYM(moduleLoadData, "cuModuleLoadData");
  SYM(moduleUnload, "cuModuleUnload");
  SYM(moduleGetFunction, "cuModuleGetFunction");
  SYM(launchKernel, "cuLaunchKernel");
  SYM(funcSetAttribute, "cuFuncSetAttribute");
  SYM(streamCreate, "cuStreamCreate");
  SYM(streamDestroy, "cuStreamDestroy_v2");
  SYM(streamSynchronize, "cuStreamSynchronize");
  SYM(memAllocManaged, "cuMemAllocManaged");
  SYM(memAlloc, "cuMemAlloc_v2");
  SYM(memFree, "cuMemFree_v2");
  SYM(memcpy, "cuMemcpy");
  SYM(memsetD32, "cuMemsetD32_v2");
  SYM(memHostRegister, "cuMemHostRegister_v2");
  SYM(memHostUnregister, "cuMemHostUnregister");
  SYM(getErrorString, "cuGetErrorString");
#undef SYM
  *(void **)(&cu.memPrefetchAsyncV2) = dlsym(lib, "cuMemPrefetchAsync_v2");
  if (!cu.memPrefetchAsyncV2)
    *(void **)(&cu.memPrefetchAsync) = dlsym(lib, "cuMemPrefetchAsync");
  CUresult rc = cu.init(0);
  int count = 0;
  if (rc == 0)
    rc = cu.deviceGetCount(&count);
  if (rc != 0 || count == 0) {
    const char *s = NULL;
    if (rc != 0)
      cu.getErrorString(rc, &s);
    snprintf(loadError, sizeof loadError, "no CUDA device: %s",
             rc != 0 ? (s ? s : "cuInit failed") : "the driver sees no GPU");
    return;
  }
  CUdevice dev;
  if ((rc = cu.deviceGet(&dev, 0)) != 0 ||
      (rc = cu.primaryCtxRetain(&context, dev)) != 0) {
    const char *s = NULL;
    cu.getErrorString(rc, &s);
    snprintf(loadError, sizeof loadError,
             "no CUDA device: cannot open device 0 (%s)", s ? s : "?");
    return;
  }
  device = dev;
  ready = 1;
}

/* Loads the driver once and makes the primary context current on this
 * thread; records an error and returns 0 when there is no usable GPU. */
static int ensure(void) {
  pthread_once(&loadOnce, load);
  if (!ready) {
    recordMessage(loadError);
    return 0;
  }
  pthread_mutex_lock(&lock);
  int failed = hasError;
  pthread_mutex_unlock(&lock);
  if (failed)
    return 0; /* stop after the first failure */
  CUresult rc = cu.ctxSetCurrent(context);
  if (rc != 0) {
    recordError("cuCtxSetCurrent", rc);
    return 0;
  }
  return 1;
}

int lfCudaProbe(char *msg, size_t msgSize) {
  pthread_once(&loadOnce, load);
  if (!ready && msg && msgSize)
    snprintf(msg, msgSize, "%s", loadError);
  return ready;
}

const char *lfCudaTakeError(void) {
  static __thread char taken[1024];
  pthread_mutex_lock(&lock);
  const char *r = NULL;
  if (hasError) {
    memcpy(taken, lastError, sizeof taken);
    hasError = 0;
    r = taken;
  }
  pthread_mutex_unlock(&lock);
  return r;
}

/* Managed allocations are cached for reuse, like PyTorch's caching
 * allocator: compiled code allocates its results and temporaries on every
 * call, and a fresh managed block is populated page by page on the GPU's
 * first touch (and cuMemFree synchronizes the device). Freed blocks are kept
 * by rounded size, up to LF_CUDA_CACHE_BYTES (default 8 GiB) in total, and
 * handed out again to requests of the same rounded size; the cache is
 * released when an allocation fails. Only blocks allocated here are cached
 * (lfCudaFree of any other pointer frees it). Reuse follows host order: the
 * compiled code launches on one stream per call and synchronizes before
 * returning, so a block is never handed out while a kernel still uses it. */
typedef struct {
  void *ptr;
  size_t bytes;
} Block;
static Block *liveBlocks, *freeBlocks;
static size_t numLive, capLive, numFreeBlocks, capFree, cachedBytes;
static size_t cacheLimit = (size_t)8 << 30;
static pthread_once_t cacheOnce = PTHREAD_ONCE_INIT;

static void readCacheLimit(void) {
  const char *e = getenv("LF_CUDA_CACHE_BYTES");
  if (e && *e)
    cacheLimit = (size_t)strtoull(e, NULL, 10);
}

static size_t roundBytes(size_t bytes) {
  size_t g = bytes > ((size_t)1 << 20) ? ((size_t)2 << 20) : 512;
  return (bytes + g - 1) / g * g;
}

static int push(Block **v, size_t *n, size_t *cap, Block b) {
  if (*n == *cap) {
    size_t nc = *cap ? 2 * *cap : 64;
    Block *nv = realloc(*v, nc * sizeof(Block));
    if (!nv)
      return 0;
    *v = nv;
    *cap = nc;
  }
  (*v)[(*n)++] = b;
  return 1;
}

/* Frees every cached block (lock held). */
static void flushCache(void) {
  for (size_t i = 0; i < numFreeBlocks; ++i)
    cu.memFree((CUdeviceptr)(uintptr_t)freeBlocks[i].ptr);
  numFreeBlocks = 0;
  cachedBytes = 0;
}

static void *allocManaged(size_t bytes) {
  if (!ensure())
    return NULL;
  pthread_once(&cacheOnce, readCacheLimit);
  size_t want = roundBytes(bytes ? bytes : 1);
  pthread_mutex_lock(&lock);
  for (size_t i = numFreeBlocks; i-- > 0;)
    if (freeBlocks[i].bytes == want) {
      Block b = freeBlocks[i];
      freeBlocks[i] = freeBlocks[--numFreeBlocks];
      cachedBytes -= b.bytes;
      void *p = push(&liveBlocks, &numLive, &capLive, b) ? b.ptr : NULL;
      if (!p)
        cu.memFree((CUdeviceptr)(uintptr_t)b.ptr);
      pthread_mutex_unlock(&lock);
      return p;
    }
  cu.ctxSetCurrent(context);
  CUdeviceptr p = 0;
  CUresult rc = cu.memAllocManaged(&p, want, CU_MEM_ATTACH_GLOBAL);
  if (rc != 0 && numFreeBlocks) {
    flushCache();
    rc = cu.memAllocManaged(&p, want, CU_MEM_ATTACH_GLOBAL);
  }
  if (rc == 0 && !push(&liveBlocks, &numLive, &capLive,
                       (Block){(void *)(uintptr_t)p, want})) {
    cu.memFree(p);
    rc = 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  }
  pthread_mutex_unlock(&lock);
  if (rc != 0) {
    recordError("cuMemAllocManaged", rc);
    return NULL;
  }
  return (void *)(uintptr_t)p;
}

void *lfCudaAllocShared(size_t bytes) { return allocManaged(bytes); }

void lfCudaFree(void *ptr) {
  if (!ptr || !ready)
    return;
  pthread_mutex_lock(&lock);
  cu.ctxSetCurrent(context);
  for (size_t i = numLive; i-- > 0;)
    if (liveBlocks[i].ptr == ptr) {
      Block b = liveBlocks[i];
      liveBlocks[i] = liveBlocks[--numLive];
      if (cachedBytes + b.bytes <= cacheLimit &&
          push(&freeBlocks, &numFreeBlocks, &capFree, b))
        cachedBytes += b.bytes;
      else
        cu.memFree((CUdeviceptr)(uintptr_t)ptr);
      pthread_mutex_unlock(&lock);
      return;
    }
  pthread_mutex_unlock(&lock);
  cu.memFree((CUdeviceptr)(uintptr_t)ptr);
}

void lfCudaPrefetchToDevice(void *ptr, size_t bytes) {
  /* A hint: inputs staged by the host would otherwise fault page by page
   * into the GPU on first touch. Failure (or a driver without the call) is
   * harmless, so it is not recorded. */
  if (!ptr || !bytes || !ready)
    return;
  cu.ctxSetCurrent(context);
  CUdeviceptr p = (CUdeviceptr)(uintptr_t)ptr;
  if (cu.memPrefetchAsyncV2) {
    CUmemLocation where = {1, device};
    (void)cu.memPrefetchAsyncV2(p, bytes, where, 0, NULL);
  } else if (cu.memPrefetchAsync) {
    (void)cu.memPrefetchAsync(p, bytes, device, NULL);
  }
}

void lfCudaSynchronize(void) {
  if (!ensure())
    return;
  CUresult rc = cu.ctxSynchronize();
  if (rc != 0)
    recordError("cuCtxSynchronize", rc);
}

/* Modules are cached by image address: compiled code loads its image before
 * every launch and unloads it after, which would JIT the PTX each time. */
#define MAX_MODULES 256
static struct {
  const void *image;
  CUmodule module;
} modules[MAX_MODULES];
static int numModules;

void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  if (!ensure())
    return NULL;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < numModules; ++i)
    if (modules[i].image == data) {
      CUmodule m = modules[i].module;
      pthread_mutex_unlock(&lock);
      return m;
    }
  CUmodule m = NULL;
  CUresult rc = cu.moduleLoadData(&m, data);
  if (rc == 0 && numModules < MAX_MODULES) {
    modules[numModules].image = data;
    modules[numModules].module = m;
    ++numModules;
  }
  pthread_mutex_unlock(&lock);
  if (rc != 0) {
    recordError("cuModuleLoadData", rc);
    return NULL;
  }
  return m;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel; /* the driver's default JIT level is -O3 */
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *module) {
  /* Cached modules live as long as the process (see mgpuModuleLoad); one
   * loaded past a full cache is unloaded like any other. */
  if (!module || !ready)
    return;
  pthread_mutex_lock(&lock);
  int cached = 0;
  for (int i = 0; i < numModules; ++i)
    cached |= modules[i].module == module;
  pthread_mutex_unlock(&lock);
  if (!cached) {
    cu.ctxSetCurrent(context);
    cu.moduleUnload(module);
  }
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module || !ensure())
    return NULL;
  CUfunction f = NULL;
  CUresult rc = cu.moduleGetFunction(&f, module, name);
  if (rc != 0) {
    recordError("cuModuleGetFunction", rc);
    return NULL;
  }
  return f;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount) {
  (void)paramsCount;
  if (!function || !ensure())
    return;
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0)
    return; /* an empty tensor: nothing to launch */
  if (smem > 48 * 1024) {
    /* Dynamic shared memory above the default 48 KiB limit must be opted
       into per kernel (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES). */
    CUresult arc = cu.funcSetAttribute(function, 8, smem);
    if (arc != 0) {
      recordError("cuFuncSetAttribute(max dynamic shared memory)", arc);
      return;
    }
  }
  CUresult rc = cu.launchKernel(function, (unsigned)gridX, (unsigned)gridY,
                                (unsigned)gridZ, (unsigned)blockX,
                                (unsigned)blockY, (unsigned)blockZ,
                                (unsigned)smem, stream, params, extra);
  if (rc != 0)
    recordError("cuLaunchKernel", rc);
}

void *mgpuStreamCreate(void) {
  if (!ensure())
    return NULL;
  CUstream s = NULL;
  CUresult rc = cu.streamCreate(&s, 0x1 /* non-blocking */);
  if (rc != 0) {
    recordError("cuStreamCreate", rc);
    return NULL;
  }
  return s;
}

void mgpuStreamDestroy(void *stream) {
  if (stream && ready)
    cu.streamDestroy(stream);
}

void mgpuStreamSynchronize(void *stream) {
  if (!ensure())
    return;
  CUresult rc = cu.streamSynchronize(stream);
  if (rc != 0)
    recordError("cuStreamSynchronize (a kernel failed)", rc);
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, int8_t isHostShared) {
  (void)stream;
  if (isHostShared)
    return allocManaged(bytes);
  if (!ensure())
    return NULL;
  CUdeviceptr p = 0;
  CUresult rc = cu.memAlloc(&p, bytes ? bytes : 1);
  if (rc != 0) {
    recordError("cuMemAlloc", rc);
    return NULL;
  }
  return (void *)(uintptr_t)p;
}

void mgpuMemFree(void *ptr, void *stream) {
  (void)stream;
  lfCudaFree(ptr);
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  (void)stream;
  if (!ensure())
    return;
  CUresult rc = cu.memcpy((CUdeviceptr)(uintptr_t)dst,
                          (CUdeviceptr)(uintptr_t)src, bytes);
  if (rc != 0)
    recordError("cuMemcpy", rc);
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  (void)stream;
  if (!ensure())
    return;
  CUresult rc = cu.memsetD32((CUdeviceptr)(uintptr_t)dst, value, count);
  if (rc != 0)
    recordError("cuMemsetD32", rc);
}

/* A ranked memref descriptor: {allocated, aligned, offset, sizes, strides}. */
static void descriptorSpan(int64_t rank, void *descriptor, int64_t elem,
                           void **base, size_t *bytes) {
  int64_t *d = (int64_t *)descriptor;
  char *aligned = (char *)(uintptr_t)d[1];
  int64_t offset = d[2], n = 1;
  for (int64_t i = 0; i < rank; ++i)
    n *= d[3 + i];
  *base = aligned + offset * elem;
  *bytes = (size_t)(n * elem);
}

void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSizeBytes) {
  if (!ensure())
    return;
  void *base;
  size_t bytes;
  descriptorSpan(rank, descriptor, elementSizeBytes, &base, &bytes);
  if (bytes == 0)
    return;
  CUresult rc = cu.memHostRegister(base, bytes, CU_MEMHOSTREGISTER_PORTABLE);
  if (rc != 0)
    recordError("cuMemHostRegister", rc);
}

void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementSizeBytes) {
  if (!ready)
    return;
  void *base;
  size_t bytes;
  descriptorSpan(rank, descriptor, elementSizeBytes, &base, &bytes);
  if (bytes)
    cu.memHostUnregister(base);
}

void mgpuSetDefaultDevice(int32_t device) {
  (void)device; /* device 0 only */
}
