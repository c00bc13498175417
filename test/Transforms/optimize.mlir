// lf-optimize is the default first stage of lf-cpu-pipeline; it folds
// inference-time affines and canonicalizes.
// RUN: lf-opt %s --lf-optimize | FileCheck %s
// RUN: lf-opt %s --lf-cpu-pipeline="optimize=false" | FileCheck %s --check-prefix=NOOPT

// CHECK-LABEL: func @block
// CHECK-NOT: lf.channel_affine
// CHECK-NOT: lf.activation
// CHECK: %[[Y:.*]] = lf.linear %arg0, %{{.*}} bias(
// CHECK: return %[[Y]]
// NOOPT: llvm.func @block
func.func @block(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %s = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %t = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 1.0], [1.0, -1.0]]> : tensor<2x2xf32>
  %i = lf.activation identity %x : tensor<?x2xf32>
  %a = lf.channel_affine %i, %s, %t : tensor<?x2xf32>, tensor<2xf32>
  %y = lf.linear %a, %w : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
