// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-vectorize-transposes))" -split-input-file | FileCheck %s
// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-vectorize-transposes{tile=4}))" -split-input-file | FileCheck %s --check-prefix=T4
// RUN: not lf-opt %s --pass-pipeline="builtin.module(func.func(lf-vectorize-transposes{tile=0}))" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: lf-vectorize-transposes: tile must be positive

// The keys of an attention block as columns ([1, 1, m, 64] -> [1, 1, 64, m],
// m dynamic): 8x8 blocks read through a transposing transfer_read (lowered
// later to an in-register transpose); the remainder columns (m mod 8) stay a
// scalar linalg.generic.
// CHECK-LABEL: func @keys_as_columns
// CHECK: scf.for {{.*}} step %c8
// CHECK:   scf.for {{.*}} step %c8
// CHECK:     vector.transfer_read {{.*}} {permutation_map = #{{.*}}} : tensor<1x1x8x8xf32>, vector<1x1x8x8xf32>
// CHECK:     vector.transfer_write {{.*}} : vector<1x1x8x8xf32>, tensor<1x1x8x8xf32>
// CHECK:   scf.for
// CHECK:     linalg.generic
// T4-LABEL: func @keys_as_columns
// T4: vector<1x1x4x4xf32>
func.func @keys_as_columns(%k: tensor<1x1x?x64xf32>, %m: index) -> tensor<1x1x64x?xf32> {
  %e = tensor.empty(%m) : tensor<1x1x64x?xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%k : tensor<1x1x?x64xf32>) outs(%e : tensor<1x1x64x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x64x?xf32>
  return %t : tensor<1x1x64x?xf32>
}

// -----

// Not minor transposes: a transpose of the outer dims and a transpose that
// computes are left alone (the plain copy folds away in the pass's
// canonicalization).
// CHECK-LABEL: func @left_alone
// CHECK-NOT: vector.
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT: vector.
func.func @left_alone(%x: tensor<16x16xf32>, %y: tensor<4x8x16xf32>) -> (tensor<16x16xf32>, tensor<8x4x16xf32>, tensor<16x16xf32>) {
  %e = tensor.empty() : tensor<16x16xf32>
  %copy = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<16x16xf32>
  %e2 = tensor.empty() : tensor<8x4x16xf32>
  %outer = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y : tensor<4x8x16xf32>) outs(%e2 : tensor<8x4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<8x4x16xf32>
  %neg = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<16x16xf32>
  return %copy, %outer, %neg : tensor<16x16xf32>, tensor<8x4x16xf32>, tensor<16x16xf32>
}
