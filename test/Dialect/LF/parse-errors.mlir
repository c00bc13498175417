// Malformed input gives a located diagnostic and a non-zero exit, not a crash.
// RUN: not lf-opt %s -split-input-file 2>&1 | FileCheck %s

func.func @unknown_activation(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: custom op 'lf.activation' expected string or keyword containing one of the following enum values for attribute 'kind' [identity, relu, gelu, gelu_tanh, silu, sigmoid, softplus, elu_plus_one]
  %0 = lf.activation swish %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unknown_feature_map(%q: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: expected ::mlir::lf::FeatureMap to be one of: identity, silu, elu_plus_one, relu, sigmoid
  %0 = lf.linear_attention %q, %q, %q {feature_map = #lf.feature_map<tanh>} : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @unknown_op(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: custom op 'lf.swiglu' is unknown
  %0 = lf.swiglu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @missing_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: parse-errors.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: expected ':'
  %0 = lf.rms_norm %x
  return %0 : tensor<4xf32>
}
