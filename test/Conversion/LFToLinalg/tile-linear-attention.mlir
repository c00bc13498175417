// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-tile-linear-attention{block-size=16}),canonicalize,cse)" -split-input-file | FileCheck %s
// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-tile-linear-attention{block-size=16 per-channel=false}))" -split-input-file | FileCheck %s --check-prefix=NOPC
// RUN: not lf-opt %s --pass-pipeline="builtin.module(func.func(lf-tile-linear-attention{block-size=0}))" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-tile-linear-attention{block-size=16 threads=4}),canonicalize,cse)" -split-input-file | FileCheck %s --check-prefix=SPLIT
// BAD: error: lf-tile-linear-attention: block-size must be positive

// Causal, per-head decay. The powers of lambda are tables built once, before
// any loop: lambda^j (j <= 16), lambda^(15 - j) and the decayed causal mask
// of a 16x16 block. Then one scf.forall over the heads, and in it the loop
// over blocks of 16 rows carrying the f32 state and the head's output; the
// tail block has min(16, n - i0) rows. No exp inside the loops.
// CHECK-LABEL: func @blocked
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x17xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x16xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x16x16xf32>)
// CHECK: math.exp
// CHECK: arith.cmpi ule
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %c2
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>)
// CHECK-NOT: math.exp
// The full blocks (up to the last multiple of 16) have static shapes; the
// last, partial block is peeled into its own loop of min(16, n - i0) rows.
// CHECK:   %[[FULL:.*]] = affine.apply #{{.*}}()[%[[N]]]
// CHECK-NOT: math.exp
// CHECK:   %[[L:.*]]:2 = scf.for %{{.*}} = %c0 to %[[FULL]] step %c16 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1x1x8x4xf32>, tensor<1x1x?x4xf32>)
// CHECK-NOT: math.exp
// CHECK:     tensor.extract_slice {{.*}} [1, 1, 16, 8]
// CHECK-NOT: math.exp
// CHECK:     tensor.insert_slice
// CHECK-NOT: math.exp
// CHECK:     scf.yield
// CHECK-NOT: math.exp
// CHECK:   scf.for %{{.*}} = %[[FULL]] to %[[N]] step %c16 iter_args(%{{.*}} = %[[L]]#0, %{{.*}} = %[[L]]#1)
// CHECK-NOT: math.exp
// CHECK:     scf.yield
// CHECK-NOT: math.exp
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice
// CHECK:     tensor.parallel_insert_slice
// CHECK-NOT: lf.linear_attention
// With 4 threads and B * H = 2, the value columns (4) split in 2 slices of
// 2 would leave slices under 8 columns: no split. Dv = 16 splits below.
// SPLIT-LABEL: func @blocked
// SPLIT: scf.forall (%{{.*}}) in (2)
func.func @blocked(%q: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x4xf32>, %s: tensor<2xf32>) -> (tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>) {
  %o, %st = lf.linear_attention %q, %q, %v decay(%s : tensor<2xf32>) {return_state}
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>
  return %o, %st : tensor<1x2x?x4xf32>, tensor<1x2x8x4xf32>
}

// -----

// Per-channel decays are tiled too (each key channel decays on its own:
// the scores contract over channels with the decay inside); with
// per-channel=false they keep the token recurrence. Non-causal attention is
// left for convert-lf-to-linalg.
// CHECK-LABEL: func @per_channel_and_noncausal
// CHECK: scf.for
// CHECK: math.exp
// CHECK: lf.linear_attention {{.*}} {causal = false}
// NOPC-LABEL: func @per_channel_and_noncausal
// NOPC: lf.linear_attention {{.*}} decay(%{{.*}} : tensor<2x8xf32>)
// NOPC: lf.linear_attention {{.*}} {causal = false}
func.func @per_channel_and_noncausal(%q: tensor<1x2x?x8xf32>, %s: tensor<2x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %a = lf.linear_attention %q, %q, %q decay(%s : tensor<2x8xf32>)
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %b = lf.linear_attention %q, %q, %q {causal = false}
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %a, %b : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// lf.norm_attention: the forall writes every head's rows token-major into
// [B, N, H, Dv] (the head's strided column, viewed as [1, 1, N, Dv]) and the
// rows' sums of squares into [B, N, H]; after it, rsqrt of their mean over
// all heads and channels, and one pass multiplying the output, the gate and
// that factor. No transpose of the attention output.
// CHECK-LABEL: func @norm_attention
// CHECK: scf.forall ({{.*}}) in (2) shared_outs({{.*}}) -> (tensor<1x?x2x4xf32>, tensor<1x?x2xf32>)
// CHECK:   tensor.extract_slice {{.*}} : tensor<1x?x2x4xf32> to tensor<?x4xf32>
// CHECK:   tensor.expand_shape {{.*}} : tensor<?x4xf32> into tensor<1x1x?x4xf32>
// CHECK:   scf.for
// CHECK:     linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:   scf.forall.in_parallel
// CHECK: math.rsqrt
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] {{.*}} : tensor<1x?x8xf32> into tensor<1x?x2x4xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : tensor<1x?x2x4xf32> into tensor<1x?x8xf32>
// CHECK-NOT: lf.norm_attention
// CHECK-NOT: linalg.transpose
// NOPC-LABEL: func @norm_attention
// NOPC: scf.forall
func.func @norm_attention(%q: tensor<1x2x?x4xf32>, %u: tensor<1x?x8xf32>, %s: tensor<2xf32>) -> tensor<1x?x8xf32> {
  %y = lf.norm_attention %q, %q, %q gate(%u : tensor<1x?x8xf32>) decay(%s : tensor<2xf32>)
      : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32> -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

// SPLIT-LABEL: func @split_values
// SPLIT: scf.forall (%{{.*}}, %[[C:.*]]) in (2, 2)
// SPLIT: %[[OFF:.*]] = arith.muli %[[C]], %c8
// SPLIT: tensor.extract_slice %{{.*}}[0, %{{.*}}, 0, %[[OFF]]] [1, 1, %{{.*}}, 8]
func.func @split_values(%q: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x16xf32>, %s: tensor<2xf32>) -> tensor<1x2x?x16xf32> {
  %o = lf.linear_attention %q, %q, %v decay(%s : tensor<2xf32>)
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x16xf32> -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
