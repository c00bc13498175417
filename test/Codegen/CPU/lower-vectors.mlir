// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-lower-vectors))" -split-input-file | FileCheck %s

// A register tile's contraction becomes broadcasts and 1-D FMAs along the
// output rows (outer products), never horizontal reductions.
// CHECK-LABEL: func.func @contract
// CHECK-NOT: vector.contract
// CHECK-NOT: vector.reduction
// CHECK-COUNT-8: vector.fma {{.*}} : vector<8xf32>
// CHECK-NOT: vector.fma
// CHECK: return
func.func @contract(%a: vector<2x4xf32>, %b: vector<4x8xf32>,
                    %c: vector<2x8xf32>) -> vector<2x8xf32> {
  %r = vector.contract {
      indexing_maps = [affine_map<(i, j, k) -> (i, k)>,
                       affine_map<(i, j, k) -> (k, j)>,
                       affine_map<(i, j, k) -> (i, j)>],
      iterator_types = ["parallel", "parallel", "reduction"],
      kind = #vector.kind<add>} %a, %b, %c
      : vector<2x4xf32>, vector<4x8xf32> into vector<2x8xf32>
  return %r : vector<2x8xf32>
}

// -----

// 2-D transfers are unrolled into 1-D loads and stores.
// CHECK-LABEL: func.func @transfers
// CHECK-COUNT-2: vector.load {{.*}} : memref<4x8xf32>, vector<8xf32>
// CHECK-COUNT-2: vector.store {{.*}} : memref<4x8xf32>, vector<8xf32>
// CHECK-NOT: vector.transfer_
func.func @transfers(%m: memref<4x8xf32>, %i: index) {
  %f = arith.constant 0.0 : f32
  %v = vector.transfer_read %m[%i, %i], %f {in_bounds = [true, true]}
      : memref<4x8xf32>, vector<2x8xf32>
  vector.transfer_write %v, %m[%i, %i] {in_bounds = [true, true]}
      : vector<2x8xf32>, memref<4x8xf32>
  return
}

// -----

// An 8x8 f32 transpose uses the AVX2 shuffle/blend sequence.
// CHECK-LABEL: func.func @transpose8x8
// CHECK-NOT: vector.transpose
// CHECK: vector.shuffle
// CHECK: llvm.inline_asm
func.func @transpose8x8(%v: vector<8x8xf32>) -> vector<8x8xf32> {
  %t = vector.transpose %v, [1, 0] : vector<8x8xf32> to vector<8x8xf32>
  return %t : vector<8x8xf32>
}
