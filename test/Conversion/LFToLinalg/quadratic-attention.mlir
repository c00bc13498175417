// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// Sigmoid and softplus attention (QuadraticAttention.cpp): scores against keys laid out as columns, a pointwise map, the weighted sum of values.

// CHECK-LABEL: func @sigmoid_attention
// Keys as columns [b, h, d, s].
// CHECK: %[[KT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<2x4x?x32xf32>) outs(%{{.*}} : tensor<2x4x32x?xf32>)
// CHECK: %[[SC:.*]] = linalg.generic {{.*}} ins(%arg0, %[[KT]] : tensor<2x4x?x32xf32>, tensor<2x4x32x?xf32>) outs(%{{.*}} : tensor<2x4x?x?xf32>)
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%[[SC]] : tensor<2x4x?x?xf32>)
// CHECK:   math.exp
// normalize = true: row sums divide the weighted values.
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%[[A]] : tensor<2x4x?x?xf32>) outs(%{{.*}} : tensor<2x4x?xf32>)
// CHECK: %[[O:.*]] = linalg.generic {{.*}} ins(%[[A]], %arg2 : tensor<2x4x?x?xf32>, tensor<2x4x?x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[O]], %[[N]] : tensor<2x4x?x16xf32>, tensor<2x4x?xf32>)
// CHECK:   arith.divf
func.func @sigmoid_attention(%q: tensor<2x4x?x32xf32>, %k: tensor<2x4x?x32xf32>, %v: tensor<2x4x?x16xf32>) -> tensor<2x4x?x16xf32> {
  %0 = lf.sigmoid_attention %q, %k, %v {normalize = true, scale = 0.125 : f32}
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %0 : tensor<2x4x?x16xf32>
}

// -----

// Softplus attention: the length-scaled scores, a stable softplus
// (log1p(exp(-|x|))) raised to the reweighting power, normalized by row sums.
// CHECK-LABEL: func @softplus_attention
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x4x?x?xf32>)
// CHECK:   math.log
// CHECK:   math.absf
// CHECK:   math.exp
// CHECK:   math.log1p
// CHECK:   math.powf
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x4x?xf32>)
// CHECK: arith.divf
// CHECK-NOT: lf.
func.func @softplus_attention(%q: tensor<2x4x?x32xf32>, %k: tensor<2x4x?x32xf32>, %v: tensor<2x4x?x16xf32>) -> tensor<2x4x?x16xf32> {
  %0 = lf.softplus_attention %q, %k, %v {train_length = 2048 : i64, reweight_power = 2.0 : f32}
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %0 : tensor<2x4x?x16xf32>
}
