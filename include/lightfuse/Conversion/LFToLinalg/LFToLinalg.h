//===- LFToLinalg.h - lf to linalg on tensors -------------------*- C++ -*-===//
//
// Part of lightfuse. Every lf op becomes linalg.generic reductions and
// elementwise ops on tensors (f32 accumulation, one rounding to the storage
// type at the end), with scf loops for recurrences and attention blocks. One
// populate function per op family, and one for all of them.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_LFTOLINALG_LFTOLINALG_H
#define LIGHTFUSE_CONVERSION_LFTOLINALG_LFTOLINALG_H

#include <cstdint>

namespace mlir {
class RewritePatternSet;
namespace lf {

/// Norm family: layer_norm, rms_norm, crms_norm, residual_norm, batch_norm,
/// unified_norm, power_norm, evonorm_b0, evonorm_s0, channel_affine.
void populateLFToLinalgNormPatterns(RewritePatternSet &patterns);
/// linear, norm_linear, add, mul, activation, glu.
void populateLFToLinalgLinearAndGatesPatterns(RewritePatternSet &patterns);
/// linear_attention (token recurrence / non-causal contractions),
/// linear_attention_step, norm_attention (by expansion).
void populateLFToLinalgLinearAttentionPatterns(RewritePatternSet &patterns);
/// sigmoid_attention, softplus_attention.
void populateLFToLinalgQuadraticAttentionPatterns(RewritePatternSet &patterns);
/// flow_attention.
void populateLFToLinalgFlowAttentionPatterns(RewritePatternSet &patterns);
/// lrpe.
void populateLFToLinalgPositionalEncodingPatterns(RewritePatternSet &patterns);
/// diag_ssm.
void populateLFToLinalgStateSpacePatterns(RewritePatternSet &patterns);
/// recenter, sigma_reparam (with `u`), weight_standardize, weight_compand.
void populateLFToLinalgWeightReparamPatterns(RewritePatternSet &patterns);

/// Every family above: rewrites every lf op into linalg/tensor/arith/math/
/// scf on tensors (convert-lf-to-linalg).
void populateLFToLinalgConversionPatterns(RewritePatternSet &patterns);

/// Lowers causal lf.linear_attention (decay per head or none; per channel
/// too when `perChannel`) and lf.norm_attention to the Lightning
/// Attention-2 block recurrence with `blockSize` rows per block, one
/// scf.forall over (batch, head[, value slice]) (lf-tile-linear-attention).
/// `threads` > 1 splits value columns when batch x heads is smaller.
void populateTileLinearAttentionPatterns(RewritePatternSet &patterns,
                                         int64_t blockSize,
                                         bool perChannel = true,
                                         unsigned threads = 1);

} // namespace lf
} // namespace mlir

#endif // LIGHTFUSE_CONVERSION_LFTOLINALG_LFTOLINALG_H
