// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-tile-linear-attention{block-size=16}),canonicalize,cse)" -split-input-file | FileCheck %s
// RUN: not lf-opt %s --pass-pipeline="builtin.module(func.func(lf-tile-linear-attention{block-size=0}))" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: lf-tile-linear-attention: block-size must be positive

// Causal, per-head decay: a loop over blocks of 16 rows carrying the f32
// state and the output; the tail block has min(16, n - i0) rows.
// CHECK-LABEL: func @blocked
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %c2
// CHECK: scf.for %[[I:.*]] = %c0 to %[[N]] step %c16 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1x2x8x4xf32>, tensor<1x2x?x4xf32>)
// CHECK:   arith.minsi
// CHECK:   tensor.extract_slice
// CHECK:   math.exp
// CHECK:   tensor.insert_slice
// CHECK:   scf.yield
// CHECK-NOT: lf.linear_attention
func.func @blocked(%q: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x4xf32>, %s: tensor<2xf32>) -> (tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>) {
  %o, %st = lf.linear_attention %q, %q, %v decay(%s : tensor<2xf32>) {return_state}
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>
  return %o, %st : tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>
}

// -----

// Per-channel decays and non-causal attention are left for
// convert-lf-to-linalg.
// CHECK-LABEL: func @untouched
// CHECK: lf.linear_attention {{.*}} decay(%{{.*}} : tensor<2x8xf32>)
// CHECK: lf.linear_attention {{.*}} {causal = false}
func.func @untouched(%q: tensor<1x2x?x8xf32>, %s: tensor<2x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %a = lf.linear_attention %q, %q, %q decay(%s : tensor<2x8xf32>)
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %b = lf.linear_attention %q, %q, %q {causal = false}
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %a, %b : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}
