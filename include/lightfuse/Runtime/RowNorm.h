/*===- RowNorm.h - f32 row norms and add+norm --------------------*- C -*-===*
 *
 * Part of lightfuse. The kernel generated code calls for f32 RMSNorm,
 * LayerNorm and add+norm (lf.residual_norm) over the last dimension whose
 * result is not fused into an elementwise consumer (lf-cpu-norm-ukernel):
 * one read of each row from
 * memory (the statistics passes and the output pass run on the row while it
 * is in L1/L2), and non-temporal stores when the output is larger than half
 * the last-level cache (a plain store reads each output line before writing
 * it). Plain C11 with AVX-512 intrinsics behind a run-time CPU check.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LIGHTFUSE_RUNTIME_ROWNORM_H
#define LIGHTFUSE_RUNTIME_ROWNORM_H

#include "lightfuse/Runtime/Gemm.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { LF_ROW_NORM_RMS = 0, LF_ROW_NORM_LAYER = 1 };

/* For each of `rows` rows of d elements:
 *   RMS:   y = x / sqrt(mean(x^2) + eps) * gain * scale
 *   LAYER: y = ((x - mean) / sqrt(var + eps) * gain + bias) * scale
 * (spec.md 1.1, 1.2); gain and bias may be NULL (1 and 0). LayerNorm's
 * statistics are shifted by the row's first element (accurate when |mean|
 * is large against the spread). Outputs of at least half the last-level
 * cache (LF_ROW_NORM_STREAM_BYTES overrides the threshold; 0 always, -1
 * never) use non-temporal stores. `threads` as lfResolveThreads takes it. */
void lfRowNormF32(const float *x, int64_t ldx, const float *gain,
                  const float *bias, float *y, int64_t ldy, int64_t rows,
                  int64_t d, float eps, float scale, int32_t kind,
                  int32_t threads);

/* The residual add and the norm of lf.residual_norm: sum = x + r (written
 * when `sum` is not NULL), y = norm(sum) as above; r may be NULL (no add). */
void lfResidualNormF32(const float *x, int64_t ldx, const float *r,
                       int64_t ldr, const float *gain, const float *bias,
                       float *sum, int64_t lds, float *y, int64_t ldy,
                       int64_t rows, int64_t d, float eps, float scale,
                       int32_t kind, int32_t threads);

/* What generated code calls (func.call @lf_row_norm_f32 with
 * llvm.emit_c_interface): x and y [rows, d] with unit inner stride, gain
 * and bias [d] or [0] (none). */
void _mlir_ciface_lf_row_norm_f32(LfMemRef2F32 *x, LfMemRef1F32 *gain,
                                  LfMemRef1F32 *bias, LfMemRef2F32 *y,
                                  float eps, float scale, int32_t kind,
                                  int32_t threads);

/* func.call @lf_residual_norm_f32: x, r, sum and y [rows, d] with unit
 * inner stride (sum [0, d]: not wanted), gain and bias [d] or [0]. */
void _mlir_ciface_lf_residual_norm_f32(LfMemRef2F32 *x, LfMemRef2F32 *r,
                                       LfMemRef1F32 *gain, LfMemRef1F32 *bias,
                                       LfMemRef2F32 *sum, LfMemRef2F32 *y,
                                       float eps, float scale, int32_t kind,
                                       int32_t threads);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTFUSE_RUNTIME_ROWNORM_H */
