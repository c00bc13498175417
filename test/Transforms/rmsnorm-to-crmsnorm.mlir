// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-rmsnorm-to-crmsnorm{explain}))" -split-input-file -verify-diagnostics | FileCheck %s

// A zero-mean writer (columns of W and the bias sum to 0) read by a
// gain-free RMSNorm feeding a linear: the writer drops its last output row,
// the norm becomes crms_norm, the reader absorbs the last column
// (W_c[:, i] = W[:, i] - W[:, d-1]).
// CHECK-LABEL: func @compress
// CHECK: %[[WC:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00, 2.000000e+00], [-1.000000e+00, 0.000000e+00, -2.000000e+00], [0.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<3x3xf32>
// CHECK: %[[S:.*]] = lf.linear %arg0, %[[WC]] bias(%{{.*}} : tensor<3xf32>) : tensor<5x3xf32>, tensor<3x3xf32> -> tensor<5x3xf32>
// CHECK: %[[N:.*]] = lf.crms_norm %[[S]] : tensor<5x3xf32>
// CHECK: %[[HC:.*]] = arith.constant dense<{{\[\[}}-3.000000e+00, -2.000000e+00, -1.000000e+00], [5.000000e-01, -1.000000e+00, 2.000000e+00]]> : tensor<2x3xf32>
// CHECK: lf.linear %[[N]], %[[HC]] : tensor<5x3xf32>, tensor<2x3xf32> -> tensor<5x2xf32>
// CHECK-NOT: lf.rms_norm
func.func @compress(%in: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = arith.constant dense<[[1.0, 0.0, 2.0], [-1.0, 0.0, -2.0], [0.0, 1.0, 1.0], [0.0, -1.0, -1.0]]> : tensor<4x3xf32>
  %b = arith.constant dense<[0.5, -0.5, 1.0, -1.0]> : tensor<4xf32>
  %e = lf.linear %in, %w bias(%b : tensor<4xf32>) : tensor<5x3xf32>, tensor<4x3xf32> -> tensor<5x4xf32>
  %n = lf.rms_norm %e : tensor<5x4xf32>
  %h = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 2.0, 0.0]]> : tensor<2x4xf32>
  %y = lf.linear %n, %h : tensor<5x4xf32>, tensor<2x4xf32> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// CHECK-LABEL: func @not_zero_mean
// CHECK: lf.rms_norm
func.func @not_zero_mean(%in: tensor<5x3xf32>, %h: tensor<2x4xf32>) -> tensor<5x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  // expected-note @+1 {{here}}
  %e = lf.linear %in, %w : tensor<5x3xf32>, tensor<4x3xf32> -> tensor<5x4xf32>
  // expected-remark @+1 {{lf-rmsnorm-to-crmsnorm: stream not compressed: a writer linear's output is not zero-mean (run lf-layernorm-to-rmsnorm first)}}
  %n = lf.rms_norm %e : tensor<5x4xf32>
  %y = lf.linear %n, %h : tensor<5x4xf32>, tensor<2x4xf32> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// CHECK-LABEL: func @reader_needs_all_channels
// CHECK: lf.rms_norm
func.func @reader_needs_all_channels(%x: tensor<5x4xf32>) -> tensor<5x4xf32> {
  %c = lf.recenter %x : tensor<5x4xf32>
  // expected-remark @+1 {{stream not compressed: the normalized value is read by 'lf.activation', which needs all d channels}}
  %n = lf.rms_norm %c : tensor<5x4xf32>
  %a = lf.activation silu %n : tensor<5x4xf32>
  return %a : tensor<5x4xf32>
}

// -----

// The absorbed f16 reader weight (6e4 - (-6e4)) overflows f16: refused.
// CHECK-LABEL: func @reader_overflow
// CHECK: lf.rms_norm
func.func @reader_overflow(%x: tensor<5x2xf16>) -> tensor<5x1xf16> {
  %c = lf.recenter %x : tensor<5x2xf16>
  // expected-remark @+1 {{stream not compressed: a reader linear's absorbed weight fails the numerics guard: a folded value (120000.000000) is not finite in f16}}
  %n = lf.rms_norm %c : tensor<5x2xf16>
  %w = arith.constant dense<[[6.0e4, -6.0e4]]> : tensor<1x2xf16>
  %y = lf.linear %n, %w : tensor<5x2xf16>, tensor<1x2xf16> -> tensor<5x1xf16>
  return %y : tensor<5x1xf16>
}
