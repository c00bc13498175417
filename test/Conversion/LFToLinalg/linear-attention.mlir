// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// Linear attention without blocks (LinearAttention.cpp): the token recurrence, the non-causal form, the decode step and NormAttention by expansion.

// Causal linear attention: a token loop carrying the f32 state; lambda is
// exp(-rate), computed once before the loop.
// CHECK-LABEL: func @linear_attention_causal
// CHECK: math.exp
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c2
// CHECK: scf.for %{{.*}} = %c0 to %[[N]] step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1x2x8x4xf32>, tensor<1x2x?x4xf32>)
// CHECK:   tensor.extract_slice
// CHECK:   linalg.generic
// CHECK:   tensor.insert_slice
// CHECK:   scf.yield
func.func @linear_attention_causal(%q: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x4xf32>, %s: tensor<2xf32>) -> tensor<1x2x?x4xf32> {
  %0 = lf.linear_attention %q, %q, %v decay(%s : tensor<2xf32>) : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>
  return %0 : tensor<1x2x?x4xf32>
}

// -----

// Non-causal linear attention: (K^T V) first, then Q (K^T V); no loop.
// CHECK-LABEL: func @linear_attention_noncausal
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<1x2x8x4xf32>)
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<1x2x16x4xf32>)
func.func @linear_attention_noncausal(%q: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  %0 = lf.linear_attention %q, %q, %v {causal = false} : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x4xf32> -> tensor<1x2x16x4xf32>
  return %0 : tensor<1x2x16x4xf32>
}

// -----

// Decode step: the state decayed and updated with k^T v in one generic, the
// output q S from the new state.
// CHECK-LABEL: func @linear_attention_step
// CHECK: %[[LAM:.*]] = linalg.generic {{.*}} ins(%arg3 : tensor<8xf32>) outs(%{{.*}} : tensor<8x64xf32>)
// CHECK:   math.exp
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %arg1, %[[LAM]] : tensor<1x8x64xf32>, tensor<1x8x32xf16>, tensor<8x64xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[S]] : tensor<1x8x64xf32>, tensor<1x8x64x32xf32>) outs(%{{.*}} : tensor<1x8x32xf32>)
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK-NOT: lf.
func.func @linear_attention_step(%q: tensor<1x8x64xf16>, %v: tensor<1x8x32xf16>, %st: tensor<1x8x64x32xf32>, %s: tensor<8xf32>) -> (tensor<1x8x32xf16>, tensor<1x8x64x32xf32>) {
  %o, %n = lf.linear_attention_step %q, %q, %v, %st decay(%s : tensor<8xf32>) {feature_map = #lf.feature_map<relu>}
      : tensor<1x8x64xf16>, tensor<1x8x64xf16>, tensor<1x8x32xf16>, tensor<1x8x64x32xf32> -> tensor<1x8x32xf16>, tensor<1x8x64x32xf32>
  return %o, %n : tensor<1x8x32xf16>, tensor<1x8x64x32xf32>
}

// -----

// NormAttention without tiling: the expansion (attention, head concatenation,
// SRMSNorm, gate), each part lowered.
// CHECK-LABEL: func @norm_attention
// CHECK: scf.for
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x2x?x8xf32>) outs(%{{.*}} : tensor<1x?x2x8xf32>) permutation = [0, 2, 1, 3]
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<1x?x2x8xf32> into tensor<1x?x16xf32>
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}} ins(%arg2, %{{.*}} : tensor<1x?x16xf32>, tensor<1x?x16xf32>)
// CHECK:   arith.mulf
// CHECK-NOT: lf.
func.func @norm_attention(%q: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x8xf32>, %u: tensor<1x?x16xf32>, %s: tensor<2xf32>, %g: tensor<16xf32>) -> tensor<1x?x16xf32> {
  %0 = lf.norm_attention %q, %q, %v gate(%u : tensor<1x?x16xf32>) decay(%s : tensor<2xf32>) gain(%g : tensor<16xf32>)
      {eps = 1.0e-05 : f32, feature_map = #lf.feature_map<silu>}
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x8xf32> -> tensor<1x?x16xf32>
  return %0 : tensor<1x?x16xf32>
}
