// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// LRPE (PositionalEncoding.cpp).

// [x cos(theta p), x sin(theta p)]: the angle theta (p + offset) reduced
// modulo 2 pi in f64, then cos and sin in f32, each half written into its
// columns of the output.
// CHECK-LABEL: func @lrpe
// CHECK: %[[C:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 : tensor<2x4x3x16xbf16>, tensor<4x16xf32>, tensor<f32>)
// CHECK:   arith.divf {{.*}} : f64
// CHECK:   math.floor {{.*}} : f64
// CHECK:   math.cos {{.*}} : f32
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 :
// CHECK:   math.sin {{.*}} : f32
// CHECK: %[[LO:.*]] = tensor.insert_slice %[[C]] into %{{.*}}[0, 0, 0, 0] [2, 4, 3, 16]
// CHECK: tensor.insert_slice %[[S]] into %[[LO]][0, 0, 0, 16] [2, 4, 3, 16]
func.func @lrpe(%h: tensor<2x4x3x16xbf16>, %t2: tensor<4x16xf32>, %o: tensor<f32>) -> tensor<2x4x3x32xbf16> {
  %1 = lf.lrpe %h, %t2 offset(%o : tensor<f32>) : tensor<2x4x3x16xbf16>, tensor<4x16xf32> -> tensor<2x4x3x32xbf16>
  return %1 : tensor<2x4x3x32xbf16>
}
