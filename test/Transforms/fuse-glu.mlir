// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-fuse-glu{explain}),canonicalize,cse)" -split-input-file -verify-diagnostics | FileCheck %s

// SwiGLU with one bias: W = [W1; W3], b = [b1; 0], one linear of width 16.
// CHECK-LABEL: func @swiglu
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<8xf32>
// CHECK: %[[W0:.*]] = tensor.insert_slice %arg1 into %{{.*}}[0, 0] [8, 16] [1, 1] : tensor<8x16xf32> into tensor<16x16xf32>
// CHECK: %[[W:.*]] = tensor.insert_slice %arg2 into %[[W0]][8, 0] [8, 16] [1, 1]
// CHECK: %[[B0:.*]] = tensor.insert_slice %arg3 into %{{.*}}[0] [8] [1]
// CHECK: %[[B:.*]] = tensor.insert_slice %[[Z]] into %[[B0]][8] [8] [1]
// CHECK: %[[H:.*]] = lf.linear %arg0, %[[W]] bias(%[[B]] : tensor<16xf32>) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
// CHECK: %[[G:.*]] = tensor.extract_slice %[[H]][0, 0] [%{{.*}}, 8] [1, 1]
// CHECK: %[[U:.*]] = tensor.extract_slice %[[H]][0, 8] [%{{.*}}, 8] [1, 1]
// CHECK: lf.glu silu %[[G]], %[[U]]
func.func @swiglu(%x: tensor<?x16xf32>, %w1: tensor<8x16xf32>, %w3: tensor<8x16xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %a = lf.linear %x, %w1 bias(%b : tensor<8xf32>) : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  %u = lf.linear %x, %w3 : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  %y = lf.glu silu %a, %u : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Negative: the two projections read different inputs.
// CHECK-LABEL: func @different_inputs
// CHECK-COUNT-2: lf.linear
func.func @different_inputs(%x: tensor<?x16xf32>, %z: tensor<?x16xf32>, %w: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %a = lf.linear %x, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  %u = lf.linear %z, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  // expected-remark @+1 {{lf-fuse-glu: not fused: the two linears read different inputs}}
  %y = lf.glu none %a, %u : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Negative: a projection is also returned.
// CHECK-LABEL: func @second_user
// CHECK-COUNT-2: lf.linear
func.func @second_user(%x: tensor<?x16xf32>, %w1: tensor<8x16xf32>, %w2: tensor<8x16xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %a = lf.linear %x, %w1 : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  %u = lf.linear %x, %w2 : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  // expected-remark @+1 {{lf-fuse-glu: not fused: a projection has users besides the gate}}
  %y = lf.glu gelu %a, %u : tensor<?x8xf32>
  return %y, %a : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Negative: dynamic weight shapes.
func.func @dynamic_weights(%x: tensor<?x16xf32>, %w1: tensor<?x16xf32>) -> tensor<?x?xf32> {
  %a = lf.linear %x, %w1 : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x?xf32>
  %u = lf.linear %x, %w1 : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x?xf32>
  // expected-remark @+1 {{lf-fuse-glu: not fused: the weights are not of one static shape}}
  %y = lf.glu sigmoid %a, %u : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
