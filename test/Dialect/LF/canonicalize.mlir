// Folders and canonicalization patterns of the lf dialect.
// RUN: lf-opt %s -canonicalize="test-convergence" -split-input-file | FileCheck %s

// CHECK-LABEL: func @identity_activation
// CHECK-NOT: lf.activation
// CHECK: return %arg0
func.func @identity_activation(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = lf.activation identity %x : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @silu_is_kept
// CHECK: lf.activation silu
func.func @silu_is_kept(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = lf.activation silu %x : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @trivial_channel_affine
// CHECK-NOT: lf.channel_affine
// CHECK: return %arg0
func.func @trivial_channel_affine(%x: tensor<2x8xbf16>) -> tensor<2x8xbf16> {
  %one = arith.constant dense<1.0> : tensor<8xbf16>
  %zero = arith.constant dense<0.0> : tensor<8xbf16>
  %0 = lf.channel_affine %x, %one, %zero : tensor<2x8xbf16>, tensor<8xbf16>
  return %0 : tensor<2x8xbf16>
}

// -----

// A shift of zero with a scale other than one is not trivial.
// CHECK-LABEL: func @channel_affine_kept
// CHECK: lf.channel_affine
func.func @channel_affine_kept(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %s = arith.constant dense<2.0> : tensor<8xf32>
  %zero = arith.constant dense<0.0> : tensor<8xf32>
  %0 = lf.channel_affine %x, %s, %zero : tensor<2x8xf32>, tensor<8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// A non-splat constant is not folded even if it has a one in it.
// CHECK-LABEL: func @channel_affine_non_splat
// CHECK: lf.channel_affine
func.func @channel_affine_non_splat(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %s = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %zero = arith.constant dense<0.0> : tensor<2xf32>
  %0 = lf.channel_affine %x, %s, %zero : tensor<2x2xf32>, tensor<2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// CHECK-LABEL: func @mul_by_one
// CHECK-NOT: lf.mul
// CHECK: return %arg0, %arg0
func.func @mul_by_one(%x: tensor<4xf16>) -> (tensor<4xf16>, tensor<4xf16>) {
  %one = arith.constant dense<1.0> : tensor<4xf16>
  %0 = lf.mul %x, %one : tensor<4xf16>
  %1 = lf.mul %one, %x : tensor<4xf16>
  return %0, %1 : tensor<4xf16>, tensor<4xf16>
}

// -----

// CHECK-LABEL: func @trivial_norm_params
// CHECK: lf.layer_norm %arg0 : tensor<3x8xf32>
// CHECK: lf.rms_norm %arg0 : tensor<3x8xf32>
func.func @trivial_norm_params(%x: tensor<3x8xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<8xf32>
  %zero = arith.constant dense<0.0> : tensor<8xf32>
  %0 = lf.layer_norm %x gain(%one : tensor<8xf32>) bias(%zero : tensor<8xf32>) {scale = 1.0 : f32} : tensor<3x8xf32>
  %1 = lf.rms_norm %x gain(%one : tensor<8xf32>) {scale = 1.0 : f32} : tensor<3x8xf32>
  return %0, %1 : tensor<3x8xf32>, tensor<3x8xf32>
}

// -----

// Gains other than one, biases other than zero and scales other than one stay.
// CHECK-LABEL: func @norm_params_kept
// CHECK: lf.layer_norm %arg0 gain(%{{.*}}) bias(%{{.*}}) {scale = 5.000000e-01 : f32}
// CHECK: lf.rms_norm %arg0 gain(%arg1 : tensor<8xf32>)
func.func @norm_params_kept(%x: tensor<3x8xf32>, %g: tensor<8xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %two = arith.constant dense<2.0> : tensor<8xf32>
  %0 = lf.layer_norm %x gain(%two : tensor<8xf32>) bias(%two : tensor<8xf32>) {scale = 0.5 : f32} : tensor<3x8xf32>
  %1 = lf.rms_norm %x gain(%g : tensor<8xf32>) : tensor<3x8xf32>
  return %0, %1 : tensor<3x8xf32>, tensor<3x8xf32>
}
