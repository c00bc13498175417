// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// Run-time forms of the weight ops (WeightReparams.cpp).

// Recentring along axis 0: shift K = the first row, sum of x - K, one pass.
// CHECK-LABEL: func @recenter
// CHECK: %[[K:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<768x64xf16>) outs(%{{.*}} : tensor<64xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%arg0, %[[K]] : tensor<768x64xf16>, tensor<64xf32>) outs(%{{.*}} : tensor<64xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[K]], %[[S]] :
// CHECK:   arith.truncf {{.*}} : f32 to f16
func.func @recenter(%w: tensor<768x64xf16>) -> tensor<768x64xf16> {
  %1 = lf.recenter %w {axis = 0 : i64} : tensor<768x64xf16>
  return %1 : tensor<768x64xf16>
}

// -----

// sigmaReparam with a stored u: one power-iteration step (v = W u / |W u|,
// u' = W^T v / |W^T v|), sigma = v . W u', then gain * W / sigma.
// CHECK-LABEL: func @sigma_reparam
// CHECK: %[[WU:.*]] = linalg.generic {{.*}} ins(%arg0, %arg2 : tensor<64x32xf32>, tensor<32xf32>) outs(%{{.*}} : tensor<64xf32>)
// CHECK: math.sqrt
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.*}} : tensor<64x32xf32>, tensor<64xf32>) outs(%{{.*}} : tensor<32xf32>)
// CHECK: math.sqrt
// CHECK: %[[SIG:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<64xf32>, tensor<64xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1, %[[SIG]] : tensor<64x32xf32>, tensor<f32>, tensor<f32>)
// CHECK:   arith.divf
func.func @sigma_reparam(%w: tensor<64x32xf32>, %g: tensor<f32>, %u: tensor<32xf32>) -> tensor<64x32xf32> {
  %0 = lf.sigma_reparam %w, %g u(%u : tensor<32xf32>) : tensor<64x32xf32>, tensor<f32>
  return %0 : tensor<64x32xf32>
}

// -----

// Weight standardization: per output channel shifted statistics (the shift
// K = the filter's first element, the mean of w - K, the centred variance),
// then ((w - K) - mean) rsqrt(var + eps) gamma gain.
// CHECK-LABEL: func @weight_standardize
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<16x3x3x3xbf16>) outs(%{{.*}} : tensor<16xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.*}} : tensor<16x3x3x3xbf16>, tensor<16xf32>) outs(%{{.*}} : tensor<16xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.*}}, %{{.*}}, %arg1 :
// CHECK:   math.rsqrt
// CHECK:   arith.truncf {{.*}} : f32 to bf16
func.func @weight_standardize(%c: tensor<16x3x3x3xbf16>, %cg: tensor<16xbf16>) -> tensor<16x3x3x3xbf16> {
  %2 = lf.weight_standardize %c gain(%cg : tensor<16xbf16>) {gamma = 1.7139 : f32} : tensor<16x3x3x3xbf16>
  return %2 : tensor<16x3x3x3xbf16>
}

// -----

// Companding: sign(w) |w|^p as exp(p log|w|) with the sign copied back.
// CHECK-LABEL: func @weight_compand
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<64x32xf32>)
// CHECK:   math.absf
// CHECK:   math.log
// CHECK:   math.exp
// CHECK:   math.copysign
func.func @weight_compand(%w: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %3 = lf.weight_compand %w {exponent = 0.75 : f32} : tensor<64x32xf32>
  return %3 : tensor<64x32xf32>
}
