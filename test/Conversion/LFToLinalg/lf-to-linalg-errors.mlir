// Ops without a run-time lowering get a located diagnostic.
// RUN: lf-opt %s --convert-lf-to-linalg -split-input-file -verify-diagnostics

func.func @sigma_without_u(%w: tensor<8x4xf32>, %g: tensor<f32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'lf.sigma_reparam' op without `u` needs a constant weight: its spectral norm is computed at compile time by lf-fold-weight-reparam (part of lf-optimize); pass the stored power-iteration vector as u(...) to compute it at run time}}
  %0 = lf.sigma_reparam %w, %g : tensor<8x4xf32>, tensor<f32>
  return %0 : tensor<8x4xf32>
}

// -----

// A constant weight that reaches the lowering was not folded (lf-optimize
// skipped, e.g. --no-optimize): the message names the skipped fold, not the
// weight.
func.func @sigma_not_folded(%g: tensor<f32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[3.0, -3.0], [1.0, 1.0]]> : tensor<2x2xf32>
  // expected-error @+1 {{'lf.sigma_reparam' op without `u` was not folded: its spectral norm is computed at compile time by lf-fold-weight-reparam (part of lf-optimize), which did not run or declined it}}
  %0 = lf.sigma_reparam %w, %g : tensor<2x2xf32>, tensor<f32>
  return %0 : tensor<2x2xf32>
}
