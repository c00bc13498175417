// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// The norm family (Norms.cpp): row or channel statistics as f32 reductions, then one elementwise epilogue rounding once to the storage type.

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

// BatchNorm precomputes a per-channel scale, then one pass along the channel
// axis centres first: (x - mean) * scale (+ bias), which keeps x's spread when
// the running mean is large against it.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @batch_norm_nchw
// CHECK: %[[A:.*]] = linalg.generic {{.*}}ins(%arg2 : tensor<4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK:   math.rsqrt
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #{{.*}}], {{.*}} ins(%arg0, %arg1, %[[A]] :
// CHECK:   arith.subf
// CHECK:   arith.mulf
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

// CRMSNorm: the discarded last element is recovered from the row sum, so
// two reductions (sum of squares, sum) feed one rsqrt epilogue.
// CHECK-LABEL: func @crms_norm
// CHECK: linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%arg0 : tensor<8x767xf32>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%arg0 : tensor<8x767xf32>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.*}}, %{{.*}}, %arg1 : tensor<8x767xf32>, tensor<8xf32>, tensor<8xf32>, tensor<767xf32>)
// CHECK:   math.rsqrt
// CHECK-NOT: lf.
func.func @crms_norm(%z: tensor<8x767xf32>, %zg: tensor<767xf32>) -> tensor<8x767xf32> {
  %0 = lf.crms_norm %z gain(%zg : tensor<767xf32>) {eps = 1.0e-5 : f32} : tensor<8x767xf32>
  return %0 : tensor<8x767xf32>
}

// -----

// Residual + RMSNorm: the sum is rounded to the storage type once (it is
// the next residual stream), and the norm reads the rounded sum.
// CHECK-LABEL: func @residual_norm
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<?x64xbf16>, tensor<?x64xbf16>)
// CHECK:   arith.addf
// CHECK:   arith.truncf {{.*}} : f32 to bf16
// CHECK: linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%[[SUM]] : tensor<?x64xbf16>)
// CHECK: math.rsqrt
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %{{.*}}, %arg2 : tensor<?x64xbf16>, tensor<?xf32>, tensor<64xbf16>)
// CHECK: return %[[SUM]], %[[Y]]
func.func @residual_norm(%x: tensor<?x64xbf16>, %o: tensor<?x64xbf16>, %g: tensor<64xbf16>) -> (tensor<?x64xbf16>, tensor<?x64xbf16>) {
  %s, %n = lf.residual_norm rms %x, %o gain(%g : tensor<64xbf16>) {eps = 1.0e-6 : f32} : tensor<?x64xbf16>
  return %s, %n : tensor<?x64xbf16>, tensor<?x64xbf16>
}

// -----

// Unified Norm (inference): a per-channel scale from the running quadratic
// mean, then one affine pass over the input; no reduction over the input.
// CHECK-LABEL: func @unified_norm
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<384xbf16>) outs(%{{.*}} : tensor<384xf32>)
// CHECK:   math.rsqrt
// CHECK-NOT: "reduction"
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[A]], %arg1 : tensor<2x?x384xbf16>, tensor<384xf32>, tensor<384xbf16>)
// CHECK:   arith.truncf {{.*}} : f32 to bf16
func.func @unified_norm(%u: tensor<2x?x384xbf16>, %q: tensor<384xbf16>) -> tensor<2x?x384xbf16> {
  %0 = lf.unified_norm %u, %q bias(%q : tensor<384xbf16>) : tensor<2x?x384xbf16>, tensor<384xbf16>
  return %0 : tensor<2x?x384xbf16>
}

// -----

// EvoNorm-B0: the instance variance per (n, c) (shifted by the slice's
// first element, then centred sum of squares), one epilogue max(sqrt(var + eps), v1 x + sqrt(running_var + eps)).
// CHECK-LABEL: func @evonorm_b0
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<8x64x4x4xf32>) outs(%{{.*}} : tensor<8x64xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.*}} : tensor<8x64x4x4xf32>, tensor<8x64xf32>) outs(%{{.*}} : tensor<8x64xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.*}}, %arg1, %arg1, %arg1, %arg1 :
// CHECK:   math.sqrt
// CHECK:   math.sqrt
// CHECK:   arith.divf
// CHECK-NOT: lf.
func.func @evonorm_b0(%x: tensor<8x64x4x4xf32>, %c: tensor<64xf32>) -> tensor<8x64x4x4xf32> {
  %0 = lf.evonorm_b0 %x, %c, %c, %c, %c : tensor<8x64x4x4xf32>, tensor<64xf32>
  return %0 : tensor<8x64x4x4xf32>
}

// -----

// EvoNorm-S0: channels split into [groups, C / groups]; group variance over
// (C / groups, H, W); x sigmoid(v x) / std in one epilogue, merged back.
// CHECK-LABEL: func @evonorm_s0
// CHECK: %[[G:.*]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2], [3], [4]] output_shape [8, 8, 8, 4, 4]
// CHECK: linalg.generic {{.*}} ins(%[[G]] : tensor<8x8x8x4x4xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[G]], %{{.*}} : tensor<8x8x8x4x4xf32>, tensor<8x8xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK: math.rsqrt
// CHECK: math.exp
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] : tensor<8x8x8x4x4xf32> into tensor<8x64x4x4xf32>
func.func @evonorm_s0(%x: tensor<8x64x4x4xf32>, %c: tensor<64xf32>) -> tensor<8x64x4x4xf32> {
  %0 = lf.evonorm_s0 %x, %c, %c, %c {groups = 8 : i64} : tensor<8x64x4x4xf32>, tensor<64xf32>
  return %0 : tensor<8x64x4x4xf32>
}

// -----

// A channel affine is one elementwise pass with scale and shift read along
// the channel axis.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @channel_affine
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %arg1, %arg1 :
// CHECK-NOT: linalg.generic
func.func @channel_affine(%x: tensor<8x64x4x4xf32>, %c: tensor<64xf32>) -> tensor<8x64x4x4xf32> {
  %0 = lf.channel_affine %x, %c, %c {axis = 1 : i64} : tensor<8x64x4x4xf32>, tensor<64xf32>
  return %0 : tensor<8x64x4x4xf32>
}

// -----

// EvoNorm-S0 with groups not dividing C: the largest divisor below is used
// (spec.md 3.10), here 6 groups of 2 of the 12 channels.
// CHECK-LABEL: func @evonorm_s0_fallback
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1, 2], [3]] output_shape [4, 6, 2, 5] : tensor<4x12x5xf32> into tensor<4x6x2x5xf32>
func.func @evonorm_s0_fallback(%x: tensor<4x12x5xf32>, %c: tensor<12xf32>) -> tensor<4x12x5xf32> {
  %0 = lf.evonorm_s0 %x, %c, %c, %c {groups = 8 : i64} : tensor<4x12x5xf32>, tensor<12xf32>
  return %0 : tensor<4x12x5xf32>
}
