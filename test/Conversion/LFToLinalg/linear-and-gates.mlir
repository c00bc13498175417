// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// Linears, elementwise ops and gates (LinearAndGates.cpp).

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

// lf.add / lf.mul: one elementwise generic each, computed in f32 and rounded
// once to the storage type.
// CHECK-LABEL: func @add_mul
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<?x768xbf16>, tensor<?x768xbf16>)
// CHECK:   arith.extf
// CHECK:   arith.addf
// CHECK:   arith.truncf {{.*}} : f32 to bf16
// CHECK: linalg.generic {{.*}} ins(%[[S]], %arg0 : tensor<?x768xbf16>, tensor<?x768xbf16>)
// CHECK:   arith.mulf
// CHECK-NOT: lf.
func.func @add_mul(%x: tensor<?x768xbf16>, %y: tensor<?x768xbf16>) -> tensor<?x768xbf16> {
  %0 = lf.add %x, %y : tensor<?x768xbf16>
  %1 = lf.mul %0, %x : tensor<?x768xbf16>
  return %1 : tensor<?x768xbf16>
}

// -----

// SwiGLU: silu(a) * b in one elementwise generic.
// CHECK-LABEL: func @glu_silu
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<?x64xf16>, tensor<?x64xf16>)
// CHECK:   math.exp
// CHECK:   arith.divf
// CHECK:   arith.mulf
// CHECK:   arith.mulf
// CHECK:   arith.truncf {{.*}} : f32 to f16
// CHECK-NOT: linalg.generic
func.func @glu_silu(%a: tensor<?x64xf16>, %b: tensor<?x64xf16>) -> tensor<?x64xf16> {
  %0 = lf.glu silu %a, %b : tensor<?x64xf16>
  return %0 : tensor<?x64xf16>
}

// -----

// SGLU (no activation): the gate is a plain product.
// CHECK-LABEL: func @glu_none
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<?x64xf32>, tensor<?x64xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   arith.mulf
// CHECK-NEXT:   linalg.yield
func.func @glu_none(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = lf.glu none %a, %b : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}
