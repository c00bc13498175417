/*===- Lightfuse.h - lightfuse C API ------------------------------*- C -*-===*\
|*                                                                            *|
|* Part of lightfuse. Compile lf modules and run their functions from C.      *|
|*                                                                            *|
|* Conventions (MLIR C API style):                                            *|
|*  - Handles are opaque structs holding a pointer; every *Create / *Compile  *|
|*    / *Load has a matching *Destroy. Out-parameters come last.              *|
|*  - Every fallible call returns an LfStatus: NULL on success, otherwise an  *|
|*    error the caller reads with lfStatusGetMessage and frees with           *|
|*    lfStatusDestroy. No call aborts or throws on bad input.                 *|
|*                                                                            *|
|* Ownership: an LfExecutable keeps its own copy of everything it needs; it   *|
|* may outlive the LfModule and the LfContext it came from. LfFunction        *|
|* handles are borrowed from their LfExecutable and valid until it is         *|
|* destroyed. LfTensor results are owned by the caller (lfTensorDestroy).     *|
|*                                                                            *|
|* Thread safety: LfContext, LfModule and LfExecutable may be used from many  *|
|* threads; concurrent lfFunctionInvoke* calls on one function are safe.      *|
|* Destroying a handle while another thread uses it is not.                   *|
|*                                                                            *|
|* Memory: buffers the compiled code allocates (temporaries and results) come *|
|* from a size-class cache, so repeated calls reuse pages instead of touching *|
|* fresh ones.                                                                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef LIGHTFUSE_C_LIGHTFUSE_H
#define LIGHTFUSE_C_LIGHTFUSE_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define LF_CAPI_EXPORTED __declspec(dllexport)
#else
#define LF_CAPI_EXPORTED __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*--- Status ---------------------------------------------------------------*/

/// NULL means success.
typedef struct LfStatusImpl *LfStatus;

/// The error message (never NULL for a non-NULL status). Valid until the
/// status is destroyed.
LF_CAPI_EXPORTED const char *lfStatusGetMessage(LfStatus status);
LF_CAPI_EXPORTED void lfStatusDestroy(LfStatus status);

/*--- Handles and enums ----------------------------------------------------*/

typedef struct { void *ptr; } LfContext;
typedef struct { void *ptr; } LfModule;
typedef struct { void *ptr; } LfExecutable;
typedef struct { void *ptr; } LfFunction;
typedef struct { void *ptr; } LfTensor;

typedef enum {
  LF_DTYPE_F32 = 0,
  LF_DTYPE_F16 = 1,
  LF_DTYPE_BF16 = 2,
  LF_DTYPE_I64 = 3, /* integer tensors: token ids, indices (imported models) */
  LF_DTYPE_I32 = 4
} LfDType;
typedef enum { LF_TARGET_CPU = 0, LF_TARGET_NVPTX = 1 } LfTarget;

/// Size in bytes of one element of `dtype` (0 for an invalid value).
LF_CAPI_EXPORTED size_t lfDTypeSize(LfDType dtype);

/*--- Context --------------------------------------------------------------*/

LF_CAPI_EXPORTED LfStatus lfContextCreate(LfContext *outContext);
LF_CAPI_EXPORTED void lfContextDestroy(LfContext context);

/*--- Modules --------------------------------------------------------------*/

/// Parses and verifies MLIR text. `name` labels diagnostics (may be NULL).
LF_CAPI_EXPORTED LfStatus lfModuleLoadSource(LfContext context,
                                             const char *source,
                                             size_t length, const char *name,
                                             LfModule *outModule);
LF_CAPI_EXPORTED LfStatus lfModuleLoadFile(LfContext context,
                                           const char *path,
                                           LfModule *outModule);
LF_CAPI_EXPORTED void lfModuleDestroy(LfModule module);

/// Receives text in one or more pieces (MLIR C API style).
typedef void (*LfStringCallback)(const char *data, size_t length,
                                 void *userData);

/// The module's MLIR text.
LF_CAPI_EXPORTED LfStatus lfModulePrint(LfModule module,
                                        LfStringCallback callback,
                                        void *userData);

/*--- Importing models -----------------------------------------------------*/

typedef struct {
  int inlineWeights;     /* 0 (default): initializers become {lf.weight}
                            arguments after the graph inputs, their contents
                            available from lfModuleGetWeight; 1:
                            dense_resource constants in the module */
  int64_t inlineLimit;   /* float initializers with at most this many
                            elements are constants (default 16) */
  const char *funcName;  /* NULL: the graph's name (or "main") */
  size_t numDims;        /* symbolic dimensions bound to sizes: */
  const char *const *dimNames;
  const int64_t *dimValues;
  int recompose;         /* 1 (default): run lf-recompose on the import */
} LfImportOptions;

LF_CAPI_EXPORTED void lfImportOptionsInit(LfImportOptions *options);

/// Imports the ONNX model at `path` (external data next to it) as a module
/// of one function. `options` may be NULL (defaults). Errors name the node.
LF_CAPI_EXPORTED LfStatus lfModuleImportONNX(LfContext context,
                                             const char *path,
                                             const LfImportOptions *options,
                                             LfModule *outModule);

/// One initializer passed as an argument: its ONNX name, the index of the
/// argument and a view of its contents, owned by the module.
typedef struct {
  const char *name;
  size_t argIndex;
  int32_t rank;
  LfDType dtype;
  const int64_t *shape;
  const void *data;
} LfWeight;

/// The initializers an import turned into arguments (0 for parsed text).
LF_CAPI_EXPORTED size_t lfModuleGetNumWeights(LfModule module);
LF_CAPI_EXPORTED LfStatus lfModuleGetWeight(LfModule module, size_t index,
                                            LfWeight *outWeight);

/*--- Compilation ----------------------------------------------------------*/

typedef struct {
  LfTarget target;      /* LF_TARGET_CPU (default) or LF_TARGET_NVPTX: the GPU
                           path; calls fail with "no CUDA device: ..." where
                           the driver or a GPU is missing. Inputs are host
                           arrays copied in and out. */
  int optLevel;         /* 0..3, default 2 */
  const char *pipeline; /* NULL: the default lf-cpu-pipeline / lf-gpu-pipeline */
  const char *dumpDir;  /* NULL: no IR dumps */
  int optimize;         /* 1 (default): run lf-optimize first; 0: lower as written */
  int explain;          /* 1: record why rewrites were declined (lfExecutableGetRemarks) */
  const char *chip;     /* LF_TARGET_NVPTX: GPU architecture, e.g. "sm_90"; NULL: "sm_80" */
  int threads;          /* CPU: threads of the generated parallel loops; 1 (default):
                           sequential; N > 1: N threads of the runtime's pool;
                           0: its default (LF_NUM_THREADS, OMP_NUM_THREADS, else
                           one per core). */
} LfCompileOptions;

/// Fills `options` with the defaults.
LF_CAPI_EXPORTED void lfCompileOptionsInit(LfCompileOptions *options);

/// Lowers and JIT-compiles `module`. `options` may be NULL (defaults).
LF_CAPI_EXPORTED LfStatus lfModuleCompile(LfModule module,
                                          const LfCompileOptions *options,
                                          LfExecutable *outExecutable);
LF_CAPI_EXPORTED void lfExecutableDestroy(LfExecutable executable);

/// With `explain` set at compile time: the optimization passes' remarks on
/// every declined rewrite, "file:line:col: remark: ..." blocks ("" if none).
/// Owned by the executable.
LF_CAPI_EXPORTED const char *lfExecutableGetRemarks(LfExecutable executable);

LF_CAPI_EXPORTED size_t lfExecutableGetNumFunctions(LfExecutable executable);
/// The i-th public function, in module order.
LF_CAPI_EXPORTED LfStatus lfExecutableGetFunction(LfExecutable executable,
                                                  size_t index,
                                                  LfFunction *outFunction);
LF_CAPI_EXPORTED LfStatus lfExecutableLookupFunction(LfExecutable executable,
                                                     const char *name,
                                                     LfFunction *outFunction);

/*--- Signatures -----------------------------------------------------------*/

typedef struct {
  LfDType dtype;
  int32_t rank;
  const int64_t *shape; /* -1 for a dynamic dimension; owned by the function */
} LfTensorType;

LF_CAPI_EXPORTED const char *lfFunctionGetName(LfFunction function);
LF_CAPI_EXPORTED size_t lfFunctionGetNumInputs(LfFunction function);
LF_CAPI_EXPORTED size_t lfFunctionGetNumResults(LfFunction function);
LF_CAPI_EXPORTED LfStatus lfFunctionGetInputType(LfFunction function,
                                                 size_t index,
                                                 LfTensorType *outType);
LF_CAPI_EXPORTED LfStatus lfFunctionGetResultType(LfFunction function,
                                                  size_t index,
                                                  LfTensorType *outType);

/*--- Invocation -----------------------------------------------------------*/

/// A caller-owned tensor: `strides` in elements, or NULL for row-major.
typedef struct {
  LfDType dtype;
  int32_t rank;
  const int64_t *shape;
  const int64_t *strides;
  void *data;
} LfTensorView;

/// Destination passing: writes each result into the caller's `outputs[i]`,
/// whose dtype and shape must equal the result's (strides may differ). For
/// CPU functions whose results all have static shapes, contiguous outputs
/// that overlap no input (nor each other) are computed in place by the
/// compiled `<fn>__into` variant: no result allocation, no copy. Otherwise
/// the results are computed into fresh buffers and copied.
LF_CAPI_EXPORTED LfStatus lfFunctionInvoke(LfFunction function,
                                           const LfTensorView *inputs,
                                           size_t numInputs,
                                           const LfTensorView *outputs,
                                           size_t numOutputs);

/// Library-allocated results: fills `outResults[0..numResults)` with tensors
/// the caller frees with lfTensorDestroy. No copy is made.
LF_CAPI_EXPORTED LfStatus lfFunctionInvokeAlloc(LfFunction function,
                                                const LfTensorView *inputs,
                                                size_t numInputs,
                                                LfTensor *outResults,
                                                size_t numResults);

/// A view of a result tensor (valid until lfTensorDestroy).
LF_CAPI_EXPORTED void lfTensorGetView(LfTensor tensor, LfTensorView *outView);

/// Non-zero when the tensor's data is host memory allocated for it alone:
/// freed by its lfTensorDestroy and shared with no input and no other result
/// of the call, so a caller may hand it out (a Python array over it) until
/// then instead of copying. Zero for a result that aliases an input or
/// another result (`return %x, %x`; the first of those owns the buffer) and
/// for GPU (managed) memory.
LF_CAPI_EXPORTED int lfTensorOwnsData(LfTensor tensor);
LF_CAPI_EXPORTED void lfTensorDestroy(LfTensor tensor);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTFUSE_C_LIGHTFUSE_H */
