// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// RMSNorm: one f32 sum-of-squares reduction over the last dim, one rsqrt
// per row, then one elementwise epilogue that rounds once to the storage
// type.
// CHECK-LABEL: func @rms_norm_f16
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg0 : tensor<?x768xf16>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:   arith.extf %{{.*}} : f16 to f32
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]{{.*}} outs(%{{.*}} : tensor<?xf32>)
// CHECK:   math.rsqrt
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-NOT: math.rsqrt
// CHECK:   arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT: lf.
func.func @rms_norm_f16(%x: tensor<?x768xf16>) -> tensor<?x768xf16> {
  %0 = lf.rms_norm %x : tensor<?x768xf16>
  return %0 : tensor<?x768xf16>
}

// -----

// LayerNorm: shifted two-pass statistics (row's first element, sum of
// x - K, centered sum of squares), never E[x^2] - mean^2.
// CHECK-LABEL: func @layer_norm
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel"]} ins(%arg0 : tensor<?x8xf32>)
// CHECK:   arith.subf
// CHECK: linalg.generic {{.*}}["parallel", "reduction"]
// CHECK:   arith.subf
// CHECK:   arith.subf
// CHECK:   arith.mulf
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}}ins(%arg0, {{.*}}, %arg1, %arg2 : tensor<?x8xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<8xf32>, tensor<8xf32>)
func.func @layer_norm(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = lf.layer_norm %x gain(%g : tensor<8xf32>) bias(%b : tensor<8xf32>) : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// BatchNorm precomputes a per-channel scale and shift, then applies one
// affine along the channel axis.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @batch_norm_nchw
// CHECK: linalg.generic {{.*}}ins(%arg2 : tensor<4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK:   math.rsqrt
// CHECK: linalg.generic {{.*}}ins(%arg1, %{{.*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #{{.*}}]
func.func @batch_norm_nchw(%x: tensor<2x4x3x3xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  %0 = lf.batch_norm %x, %m, %v {axis = 1 : i64} : tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
  return %0 : tensor<2x4x3x3xf32>
}

// -----

// Grouped norms split the channel axis into [groups, C / groups].
// CHECK-LABEL: func @power_norm_groups
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 4, 3] : tensor<?x12xf32> into tensor<?x4x3xf32>
// CHECK: linalg.generic {{.*}}["parallel", "parallel", "reduction"]
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1, 2]] : tensor<?x4x3xf32> into tensor<?x12xf32>
func.func @power_norm_groups(%x: tensor<?x12xf32>, %qm: tensor<12xf32>) -> tensor<?x12xf32> {
  %0 = lf.power_norm %x running_qm(%qm : tensor<12xf32>) {groups = 4 : i64} : tensor<?x12xf32>
  return %0 : tensor<?x12xf32>
}

// -----

// Linear: the weight transposed to [K, N] (contiguous output columns for
// the register-tiled kernel), an f32 contraction over K, then bias and
// rounding.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @linear_bf16
// CHECK: %[[WT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<32x64xbf16>) outs(%{{.*}} : tensor<64x32xbf16>)
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[WT]] : tensor<?x64xbf16>, tensor<64x32xbf16>) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @linear_bf16(%x: tensor<?x64xbf16>, %w: tensor<32x64xbf16>, %b: tensor<32xbf16>) -> tensor<?x32xbf16> {
  %0 = lf.linear %x, %w bias(%b : tensor<32xbf16>) : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  return %0 : tensor<?x32xbf16>
}

// -----

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

// Identity activation folds before lowering; SiLU is x * sigmoid(x).
// CHECK-LABEL: func @activations
// CHECK: linalg.generic
// CHECK:   math.exp
// CHECK:   arith.divf
// CHECK:   arith.mulf
// CHECK-NOT: linalg.generic
func.func @activations(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = lf.activation identity %x : tensor<4xf32>
  %1 = lf.activation silu %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// The norm is applied as rows are loaded: the contraction reads x, W and the
// row statistics, and the epilogue multiplies by rstd and adds the bias. No
// normalized [M, K] tensor is built.
// CHECK-LABEL: func @norm_linear_layer
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%arg0, %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16x8xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.subf
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %arg2 : tensor<4x8xf32>, tensor<4xf32>, tensor<8xf32>)
func.func @norm_linear_layer(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = lf.norm_linear layer %x, %w bias(%b : tensor<8xf32>) {eps = 1.0e-5 : f32} : tensor<4x16xf32>, tensor<8x16xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Flow attention is linear in the sequence: its prefix sums and its product
// are linear attentions (token recurrences); no [N, N] score tensor exists.
// CHECK-LABEL: func @flow_linear_time
// CHECK: scf.for
// CHECK-NOT: tensor<1x2x32x32xf32>
func.func @flow_linear_time(%q: tensor<1x2x32x8xf32>, %k: tensor<1x2x32x8xf32>, %v: tensor<1x2x32x4xf32>) -> tensor<1x2x32x4xf32> {
  %0 = lf.flow_attention %q, %k, %v : tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x4xf32> -> tensor<1x2x32x4xf32>
  return %0 : tensor<1x2x32x4xf32>
}
