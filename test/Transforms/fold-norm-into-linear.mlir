// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-fold-norm-into-linear{explain}),canonicalize,cse)" -split-input-file -verify-diagnostics | FileCheck %s

// F1 with constants: UN folds into the following linear at compile time.
// W'[o, i] = W[o, i] * g[i] / sqrt(qm[i] + eps); b unchanged (no UN bias).
// CHECK-LABEL: func @un_into_following_const
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}5.000000e-01, 0.000000e+00], [0.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = lf.linear %arg0, %[[W]] bias(%[[B]] : tensor<2xf32>)
// CHECK-NOT: lf.unified_norm
// CHECK: return %[[Y]]
func.func @un_into_following_const(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %qm = arith.constant dense<[3.99999, 0.24999]> : tensor<2xf32>
  %g = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %n = lf.unified_norm %x, %qm gain(%g : tensor<2xf32>) : tensor<?x2xf32>, tensor<2xf32>
  %y = lf.linear %n, %w bias(%b : tensor<2xf32>) : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// F2 with constants: a channel affine folds into the linear before it:
// W0'[i, :] = a[i] W0[i, :], b0' = a * b0 + c.
// CHECK-LABEL: func @affine_into_preceding_const
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}2.000000e+00, 4.000000e+00], [-3.000000e+00, -3.000000e+00]]>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[3.000000e+00, -2.000000e+00]>
// CHECK: lf.linear %arg0, %[[W]] bias(%[[B]] : tensor<2xf32>)
// CHECK-NOT: lf.channel_affine
func.func @affine_into_preceding_const(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [1.0, 1.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %s = arith.constant dense<[2.0, -3.0]> : tensor<2xf32>
  %t = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %l = lf.linear %x, %w bias(%b : tensor<2xf32>) : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %y = lf.channel_affine %l, %s, %t : tensor<?x2xf32>, tensor<2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// F2 with weights as arguments: the weight-side arithmetic is emitted as ops.
// CHECK-LABEL: func @bn_into_preceding_args
// CHECK: %[[R:.*]] = math.rsqrt
// CHECK: %[[W:.*]] = lf.channel_affine %arg1, %[[R]], %{{.*}} {axis = 0 : i64}
// CHECK: lf.linear %arg0, %[[W]] bias(
// CHECK-NOT: lf.batch_norm
func.func @bn_into_preceding_args(%x: tensor<?x3xf32>, %w: tensor<4x3xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<?x4xf32> {
  %l = lf.linear %x, %w : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  %n = lf.batch_norm %l, %m, %v : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
  return %n : tensor<?x4xf32>
}

// -----

// F1 into two consumers (Q and K projections, say): each gets its own fold;
// the LayerNorm stays without its gain and bias.
// CHECK-LABEL: func @ln_affine_into_two_linears
// CHECK: %[[N:.*]] = lf.layer_norm %arg0 : tensor<?x4xf32>
// CHECK: %[[W1:.*]] = lf.channel_affine %arg3, %arg1
// CHECK: %[[B1:.*]] = lf.linear %arg2, %arg3 : tensor<4xf32>, tensor<3x4xf32> -> tensor<3xf32>
// CHECK: lf.linear %[[N]], %[[W1]] bias(%[[B1]] : tensor<3xf32>)
// CHECK: %[[W2:.*]] = lf.channel_affine %arg4, %arg1
// CHECK: lf.linear %[[N]], %[[W2]]
func.func @ln_affine_into_two_linears(%x: tensor<?x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %w1: tensor<3x4xf32>, %w2: tensor<5x4xf32>) -> (tensor<?x3xf32>, tensor<?x5xf32>) {
  %n = lf.layer_norm %x gain(%g : tensor<4xf32>) bias(%b : tensor<4xf32>) : tensor<?x4xf32>
  %y1 = lf.linear %n, %w1 : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %y2 = lf.linear %n, %w2 : tensor<?x4xf32>, tensor<5x4xf32> -> tensor<?x5xf32>
  return %y1, %y2 : tensor<?x3xf32>, tensor<?x5xf32>
}

// -----

// LayerNorm Scaling's 1/sqrt(l) folds with the gain.
// CHECK-LABEL: func @rms_scale_const
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 5.000000e-01]]>
// CHECK: %[[N:.*]] = lf.rms_norm %arg0 : tensor<?x2xf32>
// CHECK: lf.linear %[[N]], %[[W]]
func.func @rms_scale_const(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %g = arith.constant dense<[4.0, 2.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %n = lf.rms_norm %x gain(%g : tensor<2xf32>) {scale = 0.25 : f32} : tensor<?x2xf32>
  %y = lf.linear %n, %w : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// Negative: the normalized value is also returned (a residual path).
// CHECK-LABEL: func @second_user
// CHECK: lf.rms_norm %arg0 gain(%arg1
func.func @second_user(%x: tensor<?x4xf32>, %g: tensor<4xf32>, %w: tensor<3x4xf32>) -> (tensor<?x3xf32>, tensor<?x4xf32>) {
  // expected-remark @+1 {{lf-fold-norm-into-linear: not folded: its result is also used by 'func.return', which would observe the difference}}
  %n = lf.rms_norm %x gain(%g : tensor<4xf32>) : tensor<?x4xf32>
  %y = lf.linear %n, %w : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %y, %n : tensor<?x3xf32>, tensor<?x4xf32>
}

// -----

// Negative: channels on axis 1 of a rank-3 tensor are not contracted by
// lf.linear.
// CHECK-LABEL: func @wrong_axis
// CHECK: lf.channel_affine
func.func @wrong_axis(%x: tensor<2x4x8xf32>, %s: tensor<4xf32>, %w: tensor<3x8xf32>) -> tensor<2x4x3xf32> {
  // expected-remark @+1 {{not folded: the channel axis 1 is not the last (contracted) axis}}
  %a = lf.channel_affine %x, %s, %s {axis = 1 : i64} : tensor<2x4x8xf32>, tensor<4xf32>
  %y = lf.linear %a, %w : tensor<2x4x8xf32>, tensor<3x8xf32> -> tensor<2x4x3xf32>
  return %y : tensor<2x4x3xf32>
}

// -----

// Negative: a near-zero running variance would overflow f16 weights.
// CHECK-LABEL: func @numerics_guard
// CHECK: lf.batch_norm
// (the remark ends "...) is not finite in f16")
func.func @numerics_guard(%x: tensor<?x2xf16>) -> tensor<?x2xf16> {
  %m = arith.constant dense<0.0> : tensor<2xf16>
  %v = arith.constant dense<[1.0, 0.0]> : tensor<2xf16>
  %w = arith.constant dense<[[1000.0, 1000.0], [1.0, 1.0]]> : tensor<2x2xf16>
  // expected-remark @+1 {{into the following linears: a folded value (316227.}}
  %n = lf.batch_norm %x, %m, %v {eps = 1.0e-5 : f32} : tensor<?x2xf16>, tensor<2xf16>, tensor<2xf16>
  %y = lf.linear %n, %w : tensor<?x2xf16>, tensor<2x2xf16> -> tensor<?x2xf16>
  return %y : tensor<?x2xf16>
}

// -----

// Negative: neither a preceding linear nor linear users.
// CHECK-LABEL: func @no_linear
func.func @no_linear(%x: tensor<?x2xf32>, %s: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-remark @+1 {{into the preceding linear: its input is not produced by lf.linear; into the following linears: its result is also used by 'func.return'}}
  %a = lf.channel_affine %x, %s, %s : tensor<?x2xf32>, tensor<2xf32>
  return %a : tensor<?x2xf32>
}

// -----

// PowerNorm: stage 2 (rsqrt of the running quadratic mean, gain) folds into
// the following linear; stage 1, the group scaling, stays.
// CHECK-LABEL: func @power_norm_stage2
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}5.000000e-01, 2.000000e+00]]>
// CHECK: %[[S1:.*]] = lf.power_norm %arg0 {groups = 2 : i64} : tensor<?x2xf32>
// CHECK: lf.linear %[[S1]], %[[W]]
func.func @power_norm_stage2(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %qm = arith.constant dense<[3.99999, 0.24999]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %n = lf.power_norm %x running_qm(%qm : tensor<2xf32>) {groups = 2 : i64} : tensor<?x2xf32>
  %y = lf.linear %n, %w : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// F2 when the norm's parameters are defined after the preceding linear: the
// weight-side ops go where the parameters are available.
// CHECK-LABEL: func @params_after_linear
// CHECK: %[[M:.*]] = arith.constant dense<5.000000e-01>
// CHECK: lf.channel_affine %arg1
// CHECK: lf.linear %arg0
// CHECK-NOT: lf.batch_norm
func.func @params_after_linear(%x: tensor<?x3xf32>, %w: tensor<4x3xf32>, %v: tensor<4xf32>) -> tensor<?x4xf32> {
  %l = lf.linear %x, %w : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  %m = arith.constant dense<0.5> : tensor<4xf32>
  %n = lf.batch_norm %l, %m, %v : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
  return %n : tensor<?x4xf32>
}

// -----

// Constants beyond the fold limit (2^26 elements) are not expanded element
// by element (a 10^16-element splat aborted lf-optimize): the fold takes its
// weight-side form, as for a weight argument.
// CHECK-LABEL: func @huge_splat_weight
// CHECK: %[[S:.*]] = math.rsqrt
// CHECK: %[[W:.*]] = lf.channel_affine %{{.*}}, %[[S]], %{{.*}} {axis = 1 : i64} : tensor<100000000x100000000xf32>
// CHECK: lf.linear %arg0, %[[W]]
func.func @huge_splat_weight(%x: tensor<?x100000000xf32>) -> tensor<?x100000000xf32> {
  %qm = arith.constant dense<4.0> : tensor<100000000xf32>
  %g = arith.constant dense<1.0> : tensor<100000000xf32>
  %w = arith.constant dense<0.5> : tensor<100000000x100000000xf32>
  %b = arith.constant dense<1.0> : tensor<100000000xf32>
  %n = lf.unified_norm %x, %qm gain(%g : tensor<100000000xf32>) : tensor<?x100000000xf32>, tensor<100000000xf32>
  %y = lf.linear %n, %w bias(%b : tensor<100000000xf32>) : tensor<?x100000000xf32>, tensor<100000000x100000000xf32> -> tensor<?x100000000xf32>
  return %y : tensor<?x100000000xf32>
}
