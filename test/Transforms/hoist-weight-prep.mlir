// RUN: lf-opt %s --lf-hoist-weight-prep -split-input-file | FileCheck %s

// The folded RMSNorm gain (W * g, as lf.channel_affine on the weight) and
// the folded shift (a linear of the bias) depend on weights only.
// @f keeps its signature and calls the two halves.
// CHECK-LABEL: func.func @f(
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf32>, %[[G:.*]]: tensor<4xf32> {lf.weight}, %[[BB:.*]]: tensor<4xf32> {lf.weight}, %[[WW:.*]]: tensor<3x4xf32> {lf.weight})
// CHECK-NEXT: %[[P:.*]]:2 = call @f_prepare(%[[G]], %[[BB]], %[[WW]])
// CHECK-NEXT: %[[R:.*]] = call @f_prepared(%[[X]], %[[G]], %[[BB]], %[[WW]], %[[P]]#0, %[[P]]#1)
// CHECK-NEXT: return %[[R]]
// CHECK-LABEL: func.func @f_prepare(%{{.*}}: tensor<4xf32>, %{{.*}}: tensor<4xf32>, %{{.*}}: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3xf32>)
// CHECK: lf.channel_affine
// CHECK: lf.linear %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<3x4xf32> -> tensor<3xf32>
// CHECK: return
// CHECK-LABEL: func.func @f_prepared(
// CHECK-SAME: %{{.*}}: tensor<?x4xf32>, %{{.*}}: tensor<4xf32> {lf.weight}, %{{.*}}: tensor<4xf32> {lf.weight}, %{{.*}}: tensor<3x4xf32> {lf.weight}, %[[W:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK-NOT: lf.channel_affine
// CHECK: %[[N:.*]] = lf.layer_norm %arg0
// CHECK: lf.linear %[[N]], %[[W]] bias(%[[B]] : tensor<3xf32>)
func.func @f(%x: tensor<?x4xf32>, %g: tensor<4xf32> {lf.weight}, %b: tensor<4xf32> {lf.weight},
             %w: tensor<3x4xf32> {lf.weight}) -> tensor<?x3xf32> {
  %z = arith.constant dense<0.0> : tensor<4xf32>
  %n = lf.layer_norm %x : tensor<?x4xf32>
  %w2 = lf.channel_affine %w, %g, %z {axis = 1 : i64} : tensor<3x4xf32>, tensor<4xf32>
  %b2 = lf.linear %b, %w : tensor<4xf32>, tensor<3x4xf32> -> tensor<3xf32>
  %y = lf.linear %n, %w2 bias(%b2 : tensor<3xf32>) : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Nothing weight-only to hoist: no new functions.
// CHECK-LABEL: func.func @g(
// CHECK-NOT: @g_prepare
func.func @g(%x: tensor<?x4xf32>, %w: tensor<3x4xf32> {lf.weight}) -> tensor<?x3xf32> {
  %y = lf.linear %x, %w : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// A cast that only forgets static sizes (a kernel call's operand) stays with
// its user: the prepared value keeps its static type.
// CHECK-LABEL: func.func @k_prepare(%{{.*}}: tensor<3x4xf32>) -> tensor<4x3xf32>
// CHECK: linalg.transpose
// CHECK-NOT: tensor.cast
// CHECK: return
// CHECK-LABEL: func.func @k_prepared(
// CHECK-SAME: %[[P:arg[0-9]+]]: tensor<4x3xf32>)
// CHECK: %[[C:.*]] = tensor.cast %[[P]] : tensor<4x3xf32> to tensor<?x?xf32>
// CHECK: call @use(%[[C]])
func.func private @use(tensor<?x?xf32>)
func.func @k(%w: tensor<3x4xf32> {lf.weight}) {
  %e = tensor.empty() : tensor<4x3xf32>
  %t = linalg.transpose ins(%w : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) permutation = [1, 0]
  %c = tensor.cast %t : tensor<4x3xf32> to tensor<?x?xf32>
  call @use(%c) : (tensor<?x?xf32>) -> ()
  return
}
