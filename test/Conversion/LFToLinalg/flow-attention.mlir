// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// Flow attention (FlowAttention.cpp).

// Flow attention is linear in the sequence: its prefix sums and its product
// are linear attentions (token recurrences); no [N, N] score tensor exists.
// CHECK-LABEL: func @flow_linear_time
// CHECK: scf.for
// CHECK-NOT: tensor<1x2x32x32xf32>
func.func @flow_linear_time(%q: tensor<1x2x32x8xf32>, %k: tensor<1x2x32x8xf32>, %v: tensor<1x2x32x4xf32>) -> tensor<1x2x32x4xf32> {
  %0 = lf.flow_attention %q, %k, %v : tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x4xf32> -> tensor<1x2x32x4xf32>
  return %0 : tensor<1x2x32x4xf32>
}
