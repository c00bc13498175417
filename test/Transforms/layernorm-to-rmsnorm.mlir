// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-layernorm-to-rmsnorm{explain}))" -split-input-file -verify-diagnostics | FileCheck %s

// The Pre-LN block with weights as arguments: the incoming stream and the
// output linear's weight and bias are recentred by lf.recenter ops, both
// LayerNorms become RMSNorms with the same gain, eps and bias.
// CHECK-LABEL: func @prenorm_args
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>, %[[W1:.*]]: tensor<16x8xf32>, %[[W2:.*]]: tensor<8x16xf32>, %[[B2:.*]]: tensor<8xf32>)
// CHECK: %[[XC:.*]] = lf.recenter %[[X]] : tensor<?x8xf32>
// CHECK: %[[N:.*]] = lf.rms_norm %[[XC]] gain(%[[G]] : tensor<8xf32>) {eps = 9.99999974E-6 : f32} : tensor<?x8xf32>
// CHECK: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: %[[H:.*]] = lf.channel_affine %[[N]], %[[ONE]], %[[B]] : tensor<?x8xf32>, tensor<8xf32>
// CHECK: %[[A:.*]] = lf.linear %[[H]], %[[W1]]
// CHECK: %[[W2C:.*]] = lf.recenter %[[W2]] {axis = 0 : i64} : tensor<8x16xf32>
// CHECK: %[[B2C:.*]] = lf.recenter %[[B2]] : tensor<8xf32>
// CHECK: %[[O:.*]] = lf.linear %[[A]], %[[W2C]] bias(%[[B2C]] : tensor<8xf32>)
// CHECK: %[[S:.*]] = lf.add %[[XC]], %[[O]]
// CHECK: lf.rms_norm %[[S]] {eps = 9.99999974E-6 : f32} : tensor<?x8xf32>
// CHECK-NOT: lf.layer_norm
func.func @prenorm_args(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>,
                        %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>, %b2: tensor<8xf32>) -> tensor<?x8xf32> {
  %h = lf.layer_norm %x gain(%g : tensor<8xf32>) bias(%b : tensor<8xf32>) : tensor<?x8xf32>
  %a = lf.linear %h, %w1 : tensor<?x8xf32>, tensor<16x8xf32> -> tensor<?x16xf32>
  %o = lf.linear %a, %w2 bias(%b2 : tensor<8xf32>) : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  %s = lf.add %x, %o : tensor<?x8xf32>
  %y = lf.layer_norm %s : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Constant writers are recentred at compile time: an embedding-like
// constant added to a linear's output (columns of W and the bias lose their
// means), read through a fused residual norm.
// CHECK-LABEL: func @constants
// CHECK-DAG: arith.constant dense<{{\[\[}}-1.000000e+00, 1.000000e+00], [5.000000e-01, -5.000000e-01]]> : tensor<2x2xf32>
// CHECK-DAG: arith.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00, 2.000000e+00], [-1.000000e+00, 0.000000e+00, -2.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: arith.constant dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
// CHECK: lf.residual_norm rms
// CHECK-NOT: lf.layer_norm
func.func @constants(%in: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %pos = arith.constant dense<[[1.0, 3.0], [4.0, 3.0]]> : tensor<2x2xf32>
  %w = arith.constant dense<[[2.0, 1.0, 5.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf32>
  %b = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %e = lf.linear %in, %w bias(%b : tensor<2xf32>) : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
  %s, %y = lf.residual_norm layer %e, %pos {eps = 1.0e-5 : f32} : tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Post-LN: the stream is a norm's output and a linear reads it raw.
// CHECK-LABEL: func @post_ln
// CHECK-COUNT-2: lf.layer_norm
func.func @post_ln(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // expected-note @+1 {{here}}
  %o = lf.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %s = lf.add %x, %o : tensor<4x8xf32>
  // expected-remark @+1 {{lf-layernorm-to-rmsnorm: this stream keeps its LayerNorms: 'lf.linear' reads the stream directly (function argument #0) and would see the difference}}
  %y = lf.layer_norm %s : tensor<4x8xf32>
  // expected-note @+1 {{here}}
  %o2 = lf.linear %y, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %s2 = lf.add %y, %o2 : tensor<4x8xf32>
  // expected-remark @+1 {{keeps its LayerNorms: 'lf.linear' reads the stream directly (the result of 'lf.layer_norm') and would see the difference}}
  %y2 = lf.layer_norm %s2 : tensor<4x8xf32>
  return %y2 : tensor<4x8xf32>
}

// -----

// Returning the stream is a raw tap.
// CHECK-LABEL: func @returned
// CHECK: lf.layer_norm
func.func @returned(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %o = lf.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %s = lf.add %x, %o : tensor<4x8xf32>
  // expected-remark @+1 {{keeps its LayerNorms: the stream is returned (the result of 'lf.add'), so the caller would see it recentred}}
  %y = lf.layer_norm %s : tensor<4x8xf32>
  // expected-note @+1 {{here}}
  return %y, %s : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A per-channel LayerScale after the output linear is not zero-mean.
// CHECK-LABEL: func @layerscale
// CHECK: lf.layer_norm
func.func @layerscale(%x: tensor<4x8xf32>, %h: tensor<4x8xf32>, %w: tensor<8x8xf32>, %gamma: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %o = lf.linear %h, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  // expected-note @+1 {{here}}
  %ls = lf.mul %o, %gamma : tensor<4x8xf32>
  %s = lf.add %x, %ls : tensor<4x8xf32>
  // expected-remark @+1 {{keeps its LayerNorms: the stream is written by 'lf.mul', which cannot be recentred (only linears, constants and function inputs can; fold a per-channel LayerScale into the linear before it first)}}
  %y = lf.layer_norm %s : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// An RMSNorm reading the same stream is not mean-invariant.
// CHECK-LABEL: func @rms_reader
// CHECK: lf.layer_norm
func.func @rms_reader(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-remark @+1 {{keeps its LayerNorms: 'lf.rms_norm' reads the stream directly (function argument #0) and would see the difference}}
  %y = lf.layer_norm %x : tensor<4x8xf32>
  // expected-note @+1 {{here}}
  %z = lf.rms_norm %x : tensor<4x8xf32>
  return %y, %z : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// With center-inputs off, a stream starting at an argument is left alone.
// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-layernorm-to-rmsnorm{center-inputs=false}))" -split-input-file | FileCheck %s --check-prefix=NOCENTER
// NOCENTER-LABEL: func @args_only
// NOCENTER: lf.layer_norm
// CHECK-LABEL: func @args_only
// CHECK: lf.recenter
// CHECK: lf.rms_norm
func.func @args_only(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = lf.layer_norm %x {scale = 0.5 : f32} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Peri-LN: the sublayer's output is normalized before the residual add, so
// the stream has a norm's output among its writers (not zero-mean). The
// remark names the placement (it said "Post-LN" before).
// CHECK-LABEL: func @peri_ln
// CHECK: lf.add
// CHECK: lf.layer_norm
func.func @peri_ln(%a: tensor<4x8xf32>, %h: tensor<4x8xf32>, %w0: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %x = lf.linear %a, %w0 : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %o = lf.linear %h, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  // expected-note @+1 {{here}}
  %on = lf.layer_norm %o : tensor<4x8xf32>
  %s = lf.add %x, %on : tensor<4x8xf32>
  // expected-remark @+1 {{keeps its LayerNorms: the stream is the output of 'lf.rms_norm' (a Peri-LN placement: the norm of a sublayer's output): it is not zero-mean}}
  %y = lf.layer_norm %s : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Post-LN: the norm of the residual sum writes the next layer's stream.
// CHECK-LABEL: func @post_ln
func.func @post_ln(%a: tensor<4x8xf32>, %h: tensor<4x8xf32>, %w0: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %x = lf.linear %a, %w0 : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %o = lf.linear %h, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %s = lf.add %x, %o : tensor<4x8xf32>
  // expected-note @+1 {{here}}
  %s1 = lf.layer_norm %s : tensor<4x8xf32>
  %o2 = lf.linear %a, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %s2 = lf.add %s1, %o2 : tensor<4x8xf32>
  // expected-remark @+1 {{keeps its LayerNorms: the stream is the output of 'lf.rms_norm' (a Post-LN placement: the norm of the residual sum): it is not zero-mean}}
  %y = lf.layer_norm %s2 : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
