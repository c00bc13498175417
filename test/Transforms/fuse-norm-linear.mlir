// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-fuse-norm-linear{explain}))" -split-input-file -verify-diagnostics | FileCheck %s

// A gain-free RMSNorm read by three linears (Q, K, V): each becomes a
// norm_linear reading the raw stream; the norm is gone.
// CHECK-LABEL: func @qkv
// CHECK-NOT: lf.rms_norm
// CHECK: lf.norm_linear rms %arg0, %arg1 {eps = 9.99999997E-7 : f32} : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
// CHECK: lf.norm_linear rms %arg0, %arg2 bias(%arg4 : tensor<8xf32>) {eps = 9.99999997E-7 : f32}
// CHECK: lf.norm_linear rms %arg0, %arg3 {eps = 9.99999997E-7 : f32} : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
func.func @qkv(%x: tensor<?x8xf32>, %wq: tensor<8x8xf32>, %wk: tensor<8x8xf32>, %wv: tensor<4x8xf32>, %bk: tensor<8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x4xf32>) {
  %n = lf.rms_norm %x : tensor<?x8xf32>
  %q = lf.linear %n, %wq : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %k = lf.linear %n, %wk bias(%bk : tensor<8xf32>) : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %v = lf.linear %n, %wv : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %q, %k, %v : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func @layer
// CHECK: lf.norm_linear layer %arg0, %arg1 {eps = 9.99999974E-6 : f32} : tensor<2x3x8xbf16>, tensor<5x8xbf16> -> tensor<2x3x5xbf16>
func.func @layer(%x: tensor<2x3x8xbf16>, %w: tensor<5x8xbf16>) -> tensor<2x3x5xbf16> {
  %n = lf.layer_norm %x : tensor<2x3x8xbf16>
  %y = lf.linear %n, %w : tensor<2x3x8xbf16>, tensor<5x8xbf16> -> tensor<2x3x5xbf16>
  return %y : tensor<2x3x5xbf16>
}

// -----

// CHECK-LABEL: func @with_gain
// CHECK: lf.rms_norm
// CHECK: lf.linear
func.func @with_gain(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // expected-remark @+1 {{lf-fuse-norm-linear: not fused: it still applies a gain, bias or scale (lf-fold-norm-into-linear folds them into the linears first; see its remarks)}}
  %n = lf.rms_norm %x gain(%g : tensor<8xf32>) : tensor<4x8xf32>
  %y = lf.linear %n, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @other_user
// CHECK: lf.layer_norm
// CHECK: lf.linear
func.func @other_user(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-remark @+1 {{lf-fuse-norm-linear: not fused: its result is also used by 'lf.activation', which needs the normalized tensor}}
  %n = lf.layer_norm %x : tensor<4x8xf32>
  %y = lf.linear %n, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %a = lf.activation silu %n : tensor<4x8xf32>
  return %y, %a : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// The norm as a linear's weight is not a prologue.
// CHECK-LABEL: func @as_weight
// CHECK: lf.rms_norm
func.func @as_weight(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // expected-remark @+1 {{its result is also used by 'lf.linear', which needs the normalized tensor}}
  %n = lf.rms_norm %w : tensor<8x8xf32>
  %y = lf.linear %x, %n : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
