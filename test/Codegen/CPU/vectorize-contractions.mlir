// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-vectorize-contractions))" | FileCheck %s
// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-vectorize-contractions),loop-invariant-subset-hoisting,canonicalize)" | FileCheck %s --check-prefix=HOIST

// A [M, K] x [K, N] contraction: full 8x32 tiles with 4-step K blocks become
// vector.contract; the peeled remainder rows stay a scalar linalg.generic.
// After subset hoisting the accumulator tile is the K loop's carried vector.
// CHECK-LABEL: func @matmul
// CHECK: scf.for
// CHECK: scf.for {{.*}} step %c32
// CHECK: scf.for {{.*}} step %c4
// CHECK: vector.contract {{.*}} : vector<8x4xf32>, vector<4x32xf32> into vector<8x32xf32>
// CHECK: linalg.generic
// The zero fill of the output is fused into the output tiles: full tiles
// start their accumulator from the constant (no memset, no read of the
// output); only the remainder tiles still fill.
// HOIST-LABEL: func @matmul
// HOIST: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// HOIST-NOT: linalg.fill
// HOIST: scf.for {{.*}} step %c4 iter_args(%{{.*}} = %[[ZERO]]) -> (vector<8x32xf32>)
// HOIST-NOT: linalg.fill
// HOIST: vector.transfer_write
// HOIST: linalg.fill
func.func @matmul(%a: tensor<?x64xf32>, %b: tensor<64x96xf32>) -> tensor<?x96xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %m = tensor.dim %a, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%m) : tensor<?x96xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?x96xf32>) -> tensor<?x96xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%a, %b : tensor<?x64xf32>, tensor<64x96xf32>) outs(%z : tensor<?x96xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x96xf32>
  return %r : tensor<?x96xf32>
}

// -----

// Elementwise generics are not contractions: untouched.
// CHECK-LABEL: func @elementwise
// CHECK-NOT: vector.
// CHECK-NOT: scf.for
func.func @elementwise(%a: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %e = tensor.empty() : tensor<16x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%a : tensor<16x64xf32>) outs(%e : tensor<16x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}
