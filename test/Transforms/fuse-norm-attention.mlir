// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-fuse-norm-attention))" -split-input-file | FileCheck %s
// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-fuse-norm-attention{explain=true}))" -split-input-file -verify-diagnostics -o /dev/null

// The TransNormerLLM form: [B*N, H*Dv] rows. The gate is expanded to
// [B, N, H*Dv] and the result collapsed back; the chain is gone.
// CHECK-LABEL: func @rows
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x?x32xf32>, %[[U:.*]]: tensor<?x64xf32>, %[[S:.*]]: tensor<2xf32>)
// CHECK: %[[U3:.*]] = tensor.expand_shape %[[U]] {{\[\[}}0, 1], [2]] output_shape [1, %{{.*}}, 64] : tensor<?x64xf32> into tensor<1x?x64xf32>
// CHECK: %[[Y:.*]] = lf.norm_attention %[[Q]], %[[Q]], %[[Q]] gate(%[[U3]] : tensor<1x?x64xf32>) decay(%[[S]] : tensor<2xf32>) {feature_map = #lf.feature_map<silu>}
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[Y]] {{\[\[}}0, 1], [2]] : tensor<1x?x64xf32> into tensor<?x64xf32>
// CHECK-NOT: lf.linear_attention
// CHECK-NOT: lf.rms_norm
// CHECK: return %[[C]]
func.func @rows(%q: tensor<1x2x?x32xf32>, %u: tensor<?x64xf32>, %s: tensor<2xf32>) -> tensor<?x64xf32> {
  %c2 = arith.constant 2 : index
  %n = tensor.dim %q, %c2 : tensor<1x2x?x32xf32>
  %o = lf.linear_attention %q, %q, %q decay(%s : tensor<2xf32>) {feature_map = #lf.feature_map<silu>}
      : tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32> -> tensor<1x2x?x32xf32>
  %e = tensor.empty(%n) : tensor<1x?x2x32xf32>
  %t = linalg.transpose ins(%o : tensor<1x2x?x32xf32>) outs(%e : tensor<1x?x2x32xf32>) permutation = [0, 2, 1, 3]
  %c = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<1x?x2x32xf32> into tensor<?x64xf32>
  %r = lf.rms_norm %c : tensor<?x64xf32>
  %y = lf.mul %u, %r : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// [B, N, H*Dv] (batch kept), gate on the right, a gain on the norm.
// CHECK-LABEL: func @batched
// CHECK: %[[Y:.*]] = lf.norm_attention %{{.*}}, %{{.*}}, %{{.*}} gate(%{{.*}} : tensor<2x8x16xf32>) gain(%{{.*}} : tensor<16xf32>) {eps = 9.99999974E-6 : f32}
// CHECK-NOT: tensor.collapse_shape
// CHECK: return %[[Y]]
func.func @batched(%q: tensor<2x4x8x4xf32>, %u: tensor<2x8x16xf32>, %g: tensor<16xf32>) -> tensor<2x8x16xf32> {
  %o = lf.linear_attention %q, %q, %q : tensor<2x4x8x4xf32>, tensor<2x4x8x4xf32>, tensor<2x4x8x4xf32> -> tensor<2x4x8x4xf32>
  %e = tensor.empty() : tensor<2x8x4x4xf32>
  %t = linalg.transpose ins(%o : tensor<2x4x8x4xf32>) outs(%e : tensor<2x8x4x4xf32>) permutation = [0, 2, 1, 3]
  %c = tensor.collapse_shape %t [[0], [1], [2, 3]] : tensor<2x8x4x4xf32> into tensor<2x8x16xf32>
  %r = lf.rms_norm %c gain(%g : tensor<16xf32>) {eps = 1.0e-5 : f32} : tensor<2x8x16xf32>
  %y = lf.mul %r, %u : tensor<2x8x16xf32>
  return %y : tensor<2x8x16xf32>
}

// -----

// Declined: the per-head output is also returned.
// CHECK-LABEL: func @output_used
// CHECK: lf.linear_attention
// CHECK: lf.rms_norm
func.func @output_used(%q: tensor<1x2x8x4xf32>, %u: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<1x2x8x4xf32>) {
  %o = lf.linear_attention %q, %q, %q : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  %e = tensor.empty() : tensor<1x8x2x4xf32>
  %t = linalg.transpose ins(%o : tensor<1x2x8x4xf32>) outs(%e : tensor<1x8x2x4xf32>) permutation = [0, 2, 1, 3]
  %c = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<1x8x2x4xf32> into tensor<8x8xf32>
  // expected-remark @+1 {{lf-fuse-norm-attention: not fused: the per-head attention output or its token-major form has other users, which need it materialized}}
  %r = lf.rms_norm %c : tensor<8x8xf32>
  %y = lf.mul %u, %r : tensor<8x8xf32>
  return %y, %o : tensor<8x8xf32>, tensor<1x2x8x4xf32>
}

// -----

// Declined: the transpose swaps batch and heads, not heads and tokens.
// CHECK-LABEL: func @wrong_transpose
// CHECK: lf.linear_attention
func.func @wrong_transpose(%q: tensor<1x2x8x4xf32>, %u: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %o = lf.linear_attention %q, %q, %q : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  %e = tensor.empty() : tensor<2x1x8x4xf32>
  %t = linalg.transpose ins(%o : tensor<1x2x8x4xf32>) outs(%e : tensor<2x1x8x4xf32>) permutation = [1, 0, 2, 3]
  %c = tensor.collapse_shape %t [[0, 1, 2], [3]] : tensor<2x1x8x4xf32> into tensor<16x4xf32>
  // expected-remark @+1 {{lf-fuse-norm-attention: not fused: the transpose does not move the heads next to the channels ([B, H, N, Dv] -> [B, N, H, Dv])}}
  %r = lf.rms_norm %c : tensor<16x4xf32>
  %y = lf.mul %u, %r : tensor<16x4xf32>
  return %y : tensor<16x4xf32>
}

// -----

// Declined: a norm with a scale, and an attention that returns its state.
// CHECK-LABEL: func @scale_and_state
// CHECK-COUNT-2: lf.linear_attention
func.func @scale_and_state(%q: tensor<1x2x8x4xf32>, %u: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<1x2x4x4xf32>) {
  %o = lf.linear_attention %q, %q, %q : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  %e = tensor.empty() : tensor<1x8x2x4xf32>
  %t = linalg.transpose ins(%o : tensor<1x2x8x4xf32>) outs(%e : tensor<1x8x2x4xf32>) permutation = [0, 2, 1, 3]
  %c = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<1x8x2x4xf32> into tensor<8x8xf32>
  // expected-remark @+1 {{lf-fuse-norm-attention: not fused: the norm has a scale}}
  %r = lf.rms_norm %c {scale = 2.0 : f32} : tensor<8x8xf32>
  %y = lf.mul %u, %r : tensor<8x8xf32>
  %o2, %st = lf.linear_attention %q, %q, %q {return_state} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>, tensor<1x2x4x4xf32>
  %t2 = linalg.transpose ins(%o2 : tensor<1x2x8x4xf32>) outs(%e : tensor<1x8x2x4xf32>) permutation = [0, 2, 1, 3]
  %c2 = tensor.collapse_shape %t2 [[0, 1], [2, 3]] : tensor<1x8x2x4xf32> into tensor<8x8xf32>
  // expected-remark @+1 {{lf-fuse-norm-attention: not fused: the attention is non-causal or also returns its state}}
  %r2 = lf.rms_norm %c2 : tensor<8x8xf32>
  %y2 = lf.mul %u, %r2 : tensor<8x8xf32>
  return %y, %y2, %st : tensor<8x8xf32>, tensor<8x8xf32>, tensor<1x2x4x4xf32>
}
