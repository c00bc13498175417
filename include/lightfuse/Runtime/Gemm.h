/*===- Gemm.h - packed f32 GEMM micro-kernels for lf.linear ------*- C -*-===*
 *
 * Part of lightfuse. The kernels generated code calls for f32 linears:
 * C[M, N] = act(A[M, K] W^T + bias) with W [N, K] packed once into panels of
 * LF_GEMM_PANEL output columns. Plain C; row-major, element strides 1.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LIGHTFUSE_RUNTIME_GEMM_H
#define LIGHTFUSE_RUNTIME_GEMM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Output columns per packed panel. */
#define LF_GEMM_PANEL 64

/* Epilogue activations applied in the kernel. The GLU ones are for
 * lfGemmGluPackedF32: act(gate) * up, gate activations none (SGLU), sigmoid
 * (GLU), silu (SwiGLU), relu (ReGLU), gelu (GeGLU, the exact erf form). */
enum {
  LF_GEMM_IDENTITY = 0,
  LF_GEMM_RELU = 1,
  LF_GEMM_GLU_NONE = 2,
  LF_GEMM_GLU_SIGMOID = 3,
  LF_GEMM_GLU_SILU = 4,
  LF_GEMM_GLU_RELU = 5,
  LF_GEMM_GLU_GELU = 6
};

/* Floats lfPackWeightsF32 writes for an [n, k] weight. */
static inline int64_t lfPackedWeightsSize(int64_t n, int64_t k) {
  return (n + LF_GEMM_PANEL - 1) / LF_GEMM_PANEL * LF_GEMM_PANEL * k;
}

/* packed[p][kk][j] = w[(p * 64 + j) * ldw + kk], zero for p * 64 + j >= n. */
void lfPackWeightsF32(const float *w, int64_t ldw, int64_t n, int64_t k,
                      float *packed);

/* c[i, j] = act(sum_kk a[i, kk] packed(j, kk) + bias[j]) for all m rows;
 * bias may be NULL. `threads` as lfResolveThreads takes it. */
void lfGemmPackedF32(const float *a, int64_t lda, const float *packed,
                     int64_t n, int64_t k, const float *bias, float *c,
                     int64_t ldc, int64_t m, int32_t act, int32_t threads);

/* The same for rows [m0, m1) and panels [q0, q1) only. */
void lfGemmPackedF32Block(const float *a, int64_t lda, const float *packed,
                          int64_t n, int64_t k, const float *bias, float *c,
                          int64_t ldc, int64_t m0, int64_t m1, int64_t q0,
                          int64_t q1, int32_t act);

/* A gated pair of linears of one input in one pass over it:
 * c[i, j] = glu(act, a W_gate^T + biasGate, a W_up^T + biasUp)[i, j], both
 * weights packed as lfPackWeightsF32 packs them (same n, k); `act` one of
 * the LF_GEMM_GLU_* values; biases may be NULL. The gate tile is stored into
 * c and the up tile's epilogue combines it while it is in L1, so neither
 * projection is written to memory. */
void lfGemmGluPackedF32(const float *a, int64_t lda, const float *gate,
                        const float *up, int64_t n, int64_t k,
                        const float *biasGate, const float *biasUp, float *c,
                        int64_t ldc, int64_t m, int32_t act, int32_t threads);

/* The same for rows [m0, m1) and panels [q0, q1) only. */
void lfGemmGluPackedF32Block(const float *a, int64_t lda, const float *gate,
                             const float *up, int64_t n, int64_t k,
                             const float *biasGate, const float *biasUp,
                             float *c, int64_t ldc, int64_t m0, int64_t m1,
                             int64_t q0, int64_t q1, int32_t act);

/* Ranked memref descriptors as MLIR's C interface passes them. */
typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[1], strides[1];
} LfMemRef1F32;
typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} LfMemRef2F32;
typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[3], strides[3];
} LfMemRef3F32;

/* What generated code calls (func.call @lf_gemm_f32 with
 * llvm.emit_c_interface): a [M, K] row-major, packed [ceil(N/64), K, 64],
 * bias [N] or [0] (none), c [M, N] row-major. */
void _mlir_ciface_lf_gemm_f32(LfMemRef2F32 *a, LfMemRef3F32 *packed,
                              LfMemRef1F32 *bias, LfMemRef2F32 *c, int32_t act,
                              int32_t threads);

/* What generated code calls for lf.glu of two lf.linear of one input
 * (lf-cpu-linear-ukernel): a [M, K], gate and up packed, their biases [N]
 * or [0], c [M, N]. */
void _mlir_ciface_lf_gemm_glu_f32(LfMemRef2F32 *a, LfMemRef3F32 *gate,
                                  LfMemRef3F32 *up, LfMemRef1F32 *biasGate,
                                  LfMemRef1F32 *biasUp, LfMemRef2F32 *c,
                                  int32_t act, int32_t threads);

/* Whether this CPU runs the AVX-512 kernels (checked once). */
int lfHasAvx512(void);

/* Worker threads for runtime kernels: 1 none, N > 1 that many (the caller
 * included), <= 0 one per online CPU (LF_NUM_THREADS or OMP_NUM_THREADS
 * when set; resolved once, on the first call that asks). */
int64_t lfResolveThreads(int32_t threads);

/* Runs fn(ctx, 0 .. tasks-1) on a persistent pool of worker threads (the
 * caller runs task 0's share too); returns when all are done. A caller that
 * finds the pool busy (another thread's call) runs its tasks itself, so
 * concurrent callers stay correct. */
void lfParallelFor(int64_t tasks, void (*fn)(void *ctx, int64_t task),
                   void *ctx);

/* What generated parallel loops call (lf-convert-openmp-to-runtime): runs
 * fn(ctx, begin, end) over [0, iterations) split into min(threads resolved
 * as above, iterations) contiguous chunks on the same pool as the kernels
 * (one pool for the whole process: no second runtime spinning against it). */
void lfParallelRange(int32_t threads, int64_t iterations,
                     void (*fn)(void *ctx, int64_t begin, int64_t end),
                     void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTFUSE_RUNTIME_GEMM_H */
