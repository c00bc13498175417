// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize,func.func(lf-fuse-elementwise),canonicalize)" -split-input-file | FileCheck %s

// A per-channel scale feeding a contraction is read once per output column:
// it is not fused into the contraction (that would recompute it N times).
// CHECK-LABEL: func @scale_then_linear
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
func.func @scale_then_linear(%x: tensor<?x8xf32>, %s: tensor<8xf32>, %w: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %a = lf.channel_affine %x, %s, %s : tensor<?x8xf32>, tensor<8xf32>
  %y = lf.linear %a, %w : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// The same scale feeding a row reduction (read once per element) and an
// activation feeding a product are fused.
// CHECK-LABEL: func @scale_then_rms
// CHECK-COUNT-1: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK-NOT: iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1, %arg1 : {{.*}}) outs
// CHECK-LABEL: func @silu_mul
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
func.func @scale_then_rms(%x: tensor<?x8xf32>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  %a = lf.channel_affine %x, %s, %s : tensor<?x8xf32>, tensor<8xf32>
  %y = lf.rms_norm %a : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @silu_mul(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %s = lf.activation silu %a : tensor<?x8xf32>
  %y = lf.mul %s, %b : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
