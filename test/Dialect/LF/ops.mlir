// Round trip of every lf op: custom form, generic form, bytecode, with static
// and dynamic dimensions and each element type.
// RUN: lf-opt %s | lf-opt | FileCheck %s
// RUN: lf-opt %s --mlir-print-op-generic | lf-opt | FileCheck %s
// RUN: lf-opt %s --verify-roundtrip | FileCheck %s

// CHECK-LABEL: func @layer_norm
func.func @layer_norm(%x: tensor<?x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>,
                      %h: tensor<2x?x64xf16>, %hg: tensor<64xf16>) -> (tensor<?x768xf32>, tensor<?x768xf32>, tensor<2x?x64xf16>, tensor<2x?x64xf16>) {
  // CHECK: lf.layer_norm %{{.*}} gain(%{{.*}} : tensor<768xf32>) bias(%{{.*}} : tensor<768xf32>) : tensor<?x768xf32>
  %0 = lf.layer_norm %x gain(%g : tensor<768xf32>) bias(%b : tensor<768xf32>) : tensor<?x768xf32>
  // CHECK: lf.layer_norm %{{.*}} {eps = 9.99999997E-7 : f32} : tensor<?x768xf32>
  %1 = lf.layer_norm %x {eps = 1.0e-6 : f32} : tensor<?x768xf32>
  // CHECK: lf.layer_norm %{{.*}} bias(%{{.*}} : tensor<64xf16>) {scale = 0.707106769 : f32} : tensor<2x?x64xf16>
  %2 = lf.layer_norm %h bias(%hg : tensor<64xf16>) {scale = 0.70710678 : f32} : tensor<2x?x64xf16>
  // CHECK: lf.layer_norm %{{.*}} gain(%{{.*}} : tensor<64xf16>) : tensor<2x?x64xf16>
  %3 = lf.layer_norm %h gain(%hg : tensor<64xf16>) : tensor<2x?x64xf16>
  return %0, %1, %2, %3 : tensor<?x768xf32>, tensor<?x768xf32>, tensor<2x?x64xf16>, tensor<2x?x64xf16>
}

// CHECK-LABEL: func @rms_norms
func.func @rms_norms(%x: tensor<1x?x4096xbf16>, %g: tensor<4096xbf16>, %z: tensor<8x767xf32>,
                     %zg: tensor<767xf32>, %d: tensor<?x?xf16>)
    -> (tensor<1x?x4096xbf16>, tensor<1x?x4096xbf16>, tensor<8x767xf32>, tensor<8x767xf32>, tensor<?x?xf16>) {
  // CHECK: lf.rms_norm %{{.*}} gain(%{{.*}} : tensor<4096xbf16>) {scale = 5.000000e-01 : f32} : tensor<1x?x4096xbf16>
  %0 = lf.rms_norm %x gain(%g : tensor<4096xbf16>) {scale = 0.5 : f32} : tensor<1x?x4096xbf16>
  // CHECK: lf.rms_norm %{{.*}} : tensor<1x?x4096xbf16>
  %1 = lf.rms_norm %x : tensor<1x?x4096xbf16>
  // CHECK: lf.crms_norm %{{.*}} : tensor<8x767xf32>
  %2 = lf.crms_norm %z : tensor<8x767xf32>
  // CHECK: lf.crms_norm %{{.*}} gain(%{{.*}} : tensor<767xf32>) {eps = 9.99999974E-6 : f32} : tensor<8x767xf32>
  %3 = lf.crms_norm %z gain(%zg : tensor<767xf32>) {eps = 1.0e-5 : f32} : tensor<8x767xf32>
  // CHECK: lf.rms_norm %{{.*}} : tensor<?x?xf16>
  %4 = lf.rms_norm %d : tensor<?x?xf16>
  return %0, %1, %2, %3, %4 : tensor<1x?x4096xbf16>, tensor<1x?x4096xbf16>, tensor<8x767xf32>, tensor<8x767xf32>, tensor<?x?xf16>
}

// CHECK-LABEL: func @channel_norms
func.func @channel_norms(%x: tensor<8x64x32x32xf32>, %c: tensor<64xf32>, %t: tensor<?x4x512xf16>,
                         %p: tensor<512xf16>, %u: tensor<2x?x384xbf16>, %q: tensor<384xbf16>)
    -> (tensor<8x64x32x32xf32>, tensor<8x64x32x32xf32>, tensor<?x4x512xf16>, tensor<2x?x384xbf16>,
        tensor<8x64x32x32xf32>, tensor<8x64x32x32xf32>, tensor<8x64x32x32xf32>, tensor<2x?x384xbf16>) {
  // CHECK: lf.batch_norm %{{.*}}, %{{.*}}, %{{.*}} gain(%{{.*}} : tensor<64xf32>) bias(%{{.*}} : tensor<64xf32>) {axis = 1 : i64} : tensor<8x64x32x32xf32>, tensor<64xf32>, tensor<64xf32>
  %0 = lf.batch_norm %x, %c, %c gain(%c : tensor<64xf32>) bias(%c : tensor<64xf32>) {axis = 1 : i64} : tensor<8x64x32x32xf32>, tensor<64xf32>, tensor<64xf32>
  // CHECK: lf.batch_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = -3 : i64, eps = 1.000000e-03 : f32} : tensor<8x64x32x32xf32>
  %1 = lf.batch_norm %x, %c, %c {axis = -3 : i64, eps = 1.0e-3 : f32} : tensor<8x64x32x32xf32>, tensor<64xf32>, tensor<64xf32>
  // CHECK: lf.power_norm %{{.*}} running_qm(%{{.*}} : tensor<512xf16>) gain(%{{.*}} : tensor<512xf16>) bias(%{{.*}} : tensor<512xf16>) {groups = 8 : i64} : tensor<?x4x512xf16>
  %2 = lf.power_norm %t running_qm(%p : tensor<512xf16>) gain(%p : tensor<512xf16>) bias(%p : tensor<512xf16>) {groups = 8 : i64} : tensor<?x4x512xf16>
  // Stage 1 alone (group scaling).
  // CHECK: lf.power_norm %{{.*}} {groups = 8 : i64} : tensor<?x4x512xf16>
  %g1 = lf.power_norm %t {groups = 8 : i64} : tensor<?x4x512xf16>
  // CHECK: lf.unified_norm %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<384xbf16>) : tensor<2x?x384xbf16>, tensor<384xbf16>
  %3 = lf.unified_norm %u, %q bias(%q : tensor<384xbf16>) : tensor<2x?x384xbf16>, tensor<384xbf16>
  // CHECK: lf.evonorm_b0 %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<8x64x32x32xf32>, tensor<64xf32>
  %4 = lf.evonorm_b0 %x, %c, %c, %c, %c : tensor<8x64x32x32xf32>, tensor<64xf32>
  // CHECK: lf.evonorm_s0 %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {groups = 8 : i64} : tensor<8x64x32x32xf32>, tensor<64xf32>
  %5 = lf.evonorm_s0 %x, %c, %c, %c {groups = 8 : i64} : tensor<8x64x32x32xf32>, tensor<64xf32>
  // CHECK: lf.channel_affine %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<8x64x32x32xf32>, tensor<64xf32>
  %6 = lf.channel_affine %x, %c, %c {axis = 1 : i64} : tensor<8x64x32x32xf32>, tensor<64xf32>
  // CHECK: lf.channel_affine %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x?x384xbf16>, tensor<384xbf16>
  %7 = lf.channel_affine %u, %q, %q : tensor<2x?x384xbf16>, tensor<384xbf16>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<8x64x32x32xf32>, tensor<8x64x32x32xf32>, tensor<?x4x512xf16>, tensor<2x?x384xbf16>,
        tensor<8x64x32x32xf32>, tensor<8x64x32x32xf32>, tensor<8x64x32x32xf32>, tensor<2x?x384xbf16>
}

// CHECK-LABEL: func @linear_and_elementwise
func.func @linear_and_elementwise(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>, %b: tensor<3072xf32>,
                                  %h: tensor<4x?x64xbf16>, %hw: tensor<?x64xbf16>)
    -> (tensor<?x3072xf32>, tensor<4x?x?xbf16>, tensor<?x768xf32>, tensor<?x768xf32>) {
  // CHECK: lf.linear %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<3072xf32>) : tensor<?x768xf32>, tensor<3072x768xf32> -> tensor<?x3072xf32>
  %0 = lf.linear %x, %w bias(%b : tensor<3072xf32>) : tensor<?x768xf32>, tensor<3072x768xf32> -> tensor<?x3072xf32>
  // CHECK: lf.linear %{{.*}}, %{{.*}} : tensor<4x?x64xbf16>, tensor<?x64xbf16> -> tensor<4x?x?xbf16>
  %1 = lf.linear %h, %hw : tensor<4x?x64xbf16>, tensor<?x64xbf16> -> tensor<4x?x?xbf16>
  // CHECK: lf.add %{{.*}}, %{{.*}} : tensor<?x768xf32>
  %2 = lf.add %x, %x : tensor<?x768xf32>
  // CHECK: lf.mul %{{.*}}, %{{.*}} : tensor<?x768xf32>
  %3 = lf.mul %2, %x : tensor<?x768xf32>
  return %0, %1, %2, %3 : tensor<?x3072xf32>, tensor<4x?x?xbf16>, tensor<?x768xf32>, tensor<?x768xf32>
}

// CHECK-LABEL: func @activations
func.func @activations(%x: tensor<?x16xf16>) -> tensor<?x16xf16> {
  // CHECK: lf.activation relu
  %0 = lf.activation relu %x : tensor<?x16xf16>
  // CHECK: lf.activation gelu
  %1 = lf.activation gelu %0 : tensor<?x16xf16>
  // CHECK: lf.activation gelu_tanh
  %2 = lf.activation gelu_tanh %1 : tensor<?x16xf16>
  // CHECK: lf.activation silu
  %3 = lf.activation silu %2 : tensor<?x16xf16>
  // CHECK: lf.activation sigmoid
  %4 = lf.activation sigmoid %3 : tensor<?x16xf16>
  // CHECK: lf.activation softplus
  %5 = lf.activation softplus %4 : tensor<?x16xf16>
  // CHECK: lf.activation elu_plus_one
  %6 = lf.activation elu_plus_one %5 : tensor<?x16xf16>
  // CHECK: lf.activation identity
  %7 = lf.activation identity %6 : tensor<?x16xf16>
  return %7 : tensor<?x16xf16>
}

// CHECK-LABEL: func @glus
func.func @glus(%a: tensor<?x11008xbf16>, %b: tensor<?x11008xbf16>) -> tensor<?x11008xbf16> {
  // CHECK: lf.glu none %{{.*}}, %{{.*}} : tensor<?x11008xbf16>
  %0 = lf.glu none %a, %b : tensor<?x11008xbf16>
  // CHECK: lf.glu sigmoid
  %1 = lf.glu sigmoid %0, %b : tensor<?x11008xbf16>
  // CHECK: lf.glu silu
  %2 = lf.glu silu %1, %b : tensor<?x11008xbf16>
  // CHECK: lf.glu gelu
  %3 = lf.glu gelu %2, %b : tensor<?x11008xbf16>
  // CHECK: lf.glu relu
  %4 = lf.glu relu %3, %b : tensor<?x11008xbf16>
  return %4 : tensor<?x11008xbf16>
}

// CHECK-LABEL: func @norm_attention
func.func @norm_attention(%q: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x8xf32>, %u: tensor<1x?x16xf32>,
                          %s: tensor<2xf32>, %g: tensor<16xf32>, %h: tensor<2x4x?x8xf16>, %uh: tensor<2x?x32xf16>)
    -> (tensor<1x?x16xf32>, tensor<2x?x32xf16>) {
  // CHECK: lf.norm_attention %{{.*}}, %{{.*}}, %{{.*}} gate(%{{.*}} : tensor<1x?x16xf32>) decay(%{{.*}} : tensor<2xf32>) gain(%{{.*}} : tensor<16xf32>) {eps = 9.99999974E-6 : f32, feature_map = #lf.feature_map<silu>} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x8xf32> -> tensor<1x?x16xf32>
  %0 = lf.norm_attention %q, %q, %v gate(%u : tensor<1x?x16xf32>) decay(%s : tensor<2xf32>) gain(%g : tensor<16xf32>)
      {eps = 1.0e-05 : f32, feature_map = #lf.feature_map<silu>}
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x8xf32> -> tensor<1x?x16xf32>
  // CHECK: lf.norm_attention %{{.*}}, %{{.*}}, %{{.*}} gate(%{{.*}} : tensor<2x?x32xf16>) : tensor<2x4x?x8xf16>
  %1 = lf.norm_attention %h, %h, %h gate(%uh : tensor<2x?x32xf16>)
      : tensor<2x4x?x8xf16>, tensor<2x4x?x8xf16>, tensor<2x4x?x8xf16> -> tensor<2x?x32xf16>
  return %0, %1 : tensor<1x?x16xf32>, tensor<2x?x32xf16>
}

// CHECK-LABEL: func @linear_attention
func.func @linear_attention(%q: tensor<1x8x?x64xf32>, %v: tensor<1x8x?x32xf32>, %s: tensor<8xf32>,
                            %sc: tensor<8x64xf32>, %h: tensor<?x?x128x64xbf16>)
    -> (tensor<1x8x?x32xf32>, tensor<1x8x64x32xf32>, tensor<1x8x?x32xf32>, tensor<?x?x128x64xbf16>) {
  // CHECK: lf.linear_attention %{{.*}}, %{{.*}}, %{{.*}} decay(%{{.*}} : tensor<8xf32>) {feature_map = #lf.feature_map<silu>, return_state} : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>, tensor<1x8x?x32xf32> -> tensor<1x8x?x32xf32>, tensor<1x8x64x32xf32>
  %o, %st = lf.linear_attention %q, %q, %v decay(%s : tensor<8xf32>) {feature_map = #lf.feature_map<silu>, return_state}
      : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>, tensor<1x8x?x32xf32> -> tensor<1x8x?x32xf32>, tensor<1x8x64x32xf32>
  // CHECK: lf.linear_attention %{{.*}}, %{{.*}}, %{{.*}} decay(%{{.*}} : tensor<8x64xf32>) : tensor<1x8x?x64xf32>
  %1 = lf.linear_attention %q, %q, %v decay(%sc : tensor<8x64xf32>)
      : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>, tensor<1x8x?x32xf32> -> tensor<1x8x?x32xf32>
  // CHECK: lf.linear_attention %{{.*}}, %{{.*}}, %{{.*}} {causal = false, feature_map = #lf.feature_map<elu_plus_one>} : tensor<?x?x128x64xbf16>
  %2 = lf.linear_attention %h, %h, %h {causal = false, feature_map = #lf.feature_map<elu_plus_one>}
      : tensor<?x?x128x64xbf16>, tensor<?x?x128x64xbf16>, tensor<?x?x128x64xbf16> -> tensor<?x?x128x64xbf16>
  return %o, %st, %1, %2 : tensor<1x8x?x32xf32>, tensor<1x8x64x32xf32>, tensor<1x8x?x32xf32>, tensor<?x?x128x64xbf16>
}

// CHECK-LABEL: func @linear_attention_step
func.func @linear_attention_step(%q: tensor<1x8x64xf16>, %v: tensor<1x8x32xf16>, %st: tensor<1x8x64x32xf32>,
                                 %s: tensor<8x64xf32>) -> (tensor<1x8x32xf16>, tensor<1x8x64x32xf32>) {
  // CHECK: lf.linear_attention_step %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} decay(%{{.*}} : tensor<8x64xf32>) {feature_map = #lf.feature_map<relu>} : tensor<1x8x64xf16>, tensor<1x8x64xf16>, tensor<1x8x32xf16>, tensor<1x8x64x32xf32> -> tensor<1x8x32xf16>, tensor<1x8x64x32xf32>
  %o, %n = lf.linear_attention_step %q, %q, %v, %st decay(%s : tensor<8x64xf32>) {feature_map = #lf.feature_map<relu>}
      : tensor<1x8x64xf16>, tensor<1x8x64xf16>, tensor<1x8x32xf16>, tensor<1x8x64x32xf32> -> tensor<1x8x32xf16>, tensor<1x8x64x32xf32>
  return %o, %n : tensor<1x8x32xf16>, tensor<1x8x64x32xf32>
}

// CHECK-LABEL: func @quadratic_attention
func.func @quadratic_attention(%q: tensor<2x4x?x32xf32>, %k: tensor<2x4x?x32xf32>, %v: tensor<2x4x?x16xf32>,
                               %h: tensor<1x2x7x8xbf16>, %hk: tensor<1x2x5x8xbf16>)
    -> (tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<1x2x7x8xbf16>, tensor<1x2x7x8xbf16>) {
  // CHECK: lf.softplus_attention %{{.*}}, %{{.*}}, %{{.*}} {reweight_power = 2.000000e+00 : f32, train_length = 2048 : i64} : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  %0 = lf.softplus_attention %q, %k, %v {train_length = 2048 : i64, reweight_power = 2.0 : f32}
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  // CHECK: lf.sigmoid_attention %{{.*}}, %{{.*}}, %{{.*}} {normalize = true, scale = 1.250000e-01 : f32}
  %1 = lf.sigmoid_attention %q, %k, %v {normalize = true, scale = 0.125 : f32}
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  // CHECK: lf.flow_attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x4x?x32xf32>
  %2 = lf.flow_attention %q, %k, %v
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  // Non-causal attention may have a different number of keys than queries.
  // CHECK: lf.sigmoid_attention %{{.*}}, %{{.*}}, %{{.*}} {causal = false} : tensor<1x2x7x8xbf16>, tensor<1x2x5x8xbf16>, tensor<1x2x5x8xbf16> -> tensor<1x2x7x8xbf16>
  %3 = lf.sigmoid_attention %h, %hk, %hk {causal = false}
      : tensor<1x2x7x8xbf16>, tensor<1x2x5x8xbf16>, tensor<1x2x5x8xbf16> -> tensor<1x2x7x8xbf16>
  // CHECK: lf.flow_attention %{{.*}}, %{{.*}}, %{{.*}} {causal = false, eps = 9.99999974E-6 : f32} : tensor<1x2x7x8xbf16>, tensor<1x2x5x8xbf16>
  %4 = lf.flow_attention %h, %hk, %hk {causal = false, eps = 1.0e-5 : f32}
      : tensor<1x2x7x8xbf16>, tensor<1x2x5x8xbf16>, tensor<1x2x5x8xbf16> -> tensor<1x2x7x8xbf16>
  return %0, %1, %2, %3, %4 : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<1x2x7x8xbf16>, tensor<1x2x7x8xbf16>
}

// CHECK-LABEL: func @residual_norm
func.func @residual_norm(%x: tensor<?x64xbf16>, %o: tensor<?x64xbf16>, %g: tensor<64xbf16>)
    -> (tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>) {
  // CHECK: lf.residual_norm layer %{{.*}}, %{{.*}} gain(%{{.*}} : tensor<64xbf16>) bias(%{{.*}} : tensor<64xbf16>) {eps = 9.99999974E-6 : f32} : tensor<?x64xbf16>
  %s, %n = lf.residual_norm layer %x, %o gain(%g : tensor<64xbf16>) bias(%g : tensor<64xbf16>) {eps = 1.0e-5 : f32} : tensor<?x64xbf16>
  // CHECK: lf.residual_norm rms %{{.*}}, %{{.*}} {eps = 9.99999997E-7 : f32, scale = 5.000000e-01 : f32} : tensor<?x64xbf16>
  %s2, %n2 = lf.residual_norm rms %x, %o {eps = 1.0e-6 : f32, scale = 0.5 : f32} : tensor<?x64xbf16>
  return %s, %n, %s2, %n2 : tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>
}

// CHECK-LABEL: func @norm_linear
func.func @norm_linear(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>, %b: tensor<3072xf32>,
                       %h: tensor<2x3x64xbf16>, %hw: tensor<8x64xbf16>) -> (tensor<?x3072xf32>, tensor<2x3x8xbf16>) {
  // CHECK: lf.norm_linear layer %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<3072xf32>) {eps = 9.99999974E-6 : f32} : tensor<?x768xf32>, tensor<3072x768xf32> -> tensor<?x3072xf32>
  %0 = lf.norm_linear layer %x, %w bias(%b : tensor<3072xf32>) {eps = 1.0e-5 : f32} : tensor<?x768xf32>, tensor<3072x768xf32> -> tensor<?x3072xf32>
  // CHECK: lf.norm_linear rms %{{.*}}, %{{.*}} {eps = 9.99999997E-7 : f32} : tensor<2x3x64xbf16>, tensor<8x64xbf16> -> tensor<2x3x8xbf16>
  %1 = lf.norm_linear rms %h, %hw {eps = 1.0e-6 : f32} : tensor<2x3x64xbf16>, tensor<8x64xbf16> -> tensor<2x3x8xbf16>
  return %0, %1 : tensor<?x3072xf32>, tensor<2x3x8xbf16>
}

// CHECK-LABEL: func @recenter
func.func @recenter(%x: tensor<?x768xf32>, %w: tensor<768x64xf16>) -> (tensor<?x768xf32>, tensor<768x64xf16>) {
  // CHECK: lf.recenter %{{.*}} : tensor<?x768xf32>
  %0 = lf.recenter %x : tensor<?x768xf32>
  // CHECK: lf.recenter %{{.*}} {axis = 0 : i64} : tensor<768x64xf16>
  %1 = lf.recenter %w {axis = 0 : i64} : tensor<768x64xf16>
  return %0, %1 : tensor<?x768xf32>, tensor<768x64xf16>
}

// CHECK-LABEL: func @weight_reparam
func.func @weight_reparam(%w: tensor<64x32xf32>, %g: tensor<f32>, %g1: tensor<1xf32>, %u: tensor<32xf32>,
                          %c: tensor<16x3x3x3xbf16>, %cg: tensor<16xbf16>) -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<16x3x3x3xbf16>, tensor<64x32xf32>) {
  // CHECK: lf.sigma_reparam %{{.*}}, %{{.*}} u(%{{.*}} : tensor<32xf32>) : tensor<64x32xf32>, tensor<f32>
  %0 = lf.sigma_reparam %w, %g u(%u : tensor<32xf32>) : tensor<64x32xf32>, tensor<f32>
  // Without u the weight must be a constant (the spectral norm is folded).
  %wc = arith.constant dense<1.0> : tensor<64x32xf32>
  %gc = arith.constant dense<2.0> : tensor<1xf32>
  // CHECK: lf.sigma_reparam %{{.*}}, %{{.*}} : tensor<64x32xf32>, tensor<1xf32>
  %1 = lf.sigma_reparam %wc, %gc : tensor<64x32xf32>, tensor<1xf32>
  // CHECK: lf.weight_standardize %{{.*}} gain(%{{.*}} : tensor<16xbf16>) {gamma = 1.713900e+00 : f32} : tensor<16x3x3x3xbf16>
  %2 = lf.weight_standardize %c gain(%cg : tensor<16xbf16>) {gamma = 1.7139 : f32} : tensor<16x3x3x3xbf16>
  // CHECK: lf.weight_compand %{{.*}} {exponent = 7.500000e-01 : f32} : tensor<64x32xf32>
  %3 = lf.weight_compand %w {exponent = 0.75 : f32} : tensor<64x32xf32>
  return %0, %1, %2, %3 : tensor<64x32xf32>, tensor<64x32xf32>, tensor<16x3x3x3xbf16>, tensor<64x32xf32>
}

// CHECK-LABEL: func @diag_ssm
func.func @diag_ssm(%u: tensor<2x64x?xf32>, %h: tensor<1x4x128xbf16>, %dt: tensor<64xf32>, %a: tensor<64x32xf32>,
                    %dt4: tensor<4xf32>, %a4: tensor<4x8xf32>) -> (tensor<2x64x?xf32>, tensor<1x4x128xbf16>) {
  // CHECK: lf.diag_ssm kernel zoh %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} skip(%{{.*}} : tensor<64xf32>) : tensor<2x64x?xf32>, tensor<64xf32>, tensor<64x32xf32>
  %0 = lf.diag_ssm kernel zoh %u, %dt, %a, %a, %a, %a skip(%dt : tensor<64xf32>) : tensor<2x64x?xf32>, tensor<64xf32>, tensor<64x32xf32>
  // CHECK: lf.diag_ssm recurrent bilinear %{{.*}} : tensor<1x4x128xbf16>, tensor<4xf32>, tensor<4x8xf32>
  %1 = lf.diag_ssm recurrent bilinear %h, %dt4, %a4, %a4, %a4, %a4 : tensor<1x4x128xbf16>, tensor<4xf32>, tensor<4x8xf32>
  return %0, %1 : tensor<2x64x?xf32>, tensor<1x4x128xbf16>
}

// CHECK-LABEL: func @diag_ssm_state
func.func @diag_ssm_state(%u: tensor<2x4x1xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf32>, %s: tensor<2x4x8x2xf32>) -> (tensor<2x4x1xf32>, tensor<2x4x8x2xf32>) {
  // CHECK: %{{.*}}, %{{.*}} = lf.diag_ssm recurrent zoh %{{.*}} skip(%{{.*}} : tensor<4xf32>) state(%{{.*}} : tensor<2x4x8x2xf32>) : tensor<2x4x1xf32>, tensor<4xf32>, tensor<4x8xf32> -> tensor<2x4x8x2xf32>
  %y, %n = lf.diag_ssm recurrent zoh %u, %dt, %a, %a, %a, %a skip(%dt : tensor<4xf32>) state(%s : tensor<2x4x8x2xf32>) : tensor<2x4x1xf32>, tensor<4xf32>, tensor<4x8xf32> -> tensor<2x4x8x2xf32>
  return %y, %n : tensor<2x4x1xf32>, tensor<2x4x8x2xf32>
}

// CHECK-LABEL: func @lrpe
func.func @lrpe(%q: tensor<1x8x?x64xf32>, %t: tensor<8x64xf32>, %o: tensor<f32>, %h: tensor<2x4x3x16xbf16>, %t2: tensor<4x16xf32>) -> (tensor<1x8x?x128xf32>, tensor<2x4x3x32xbf16>) {
  // CHECK: lf.lrpe %{{.*}}, %{{.*}} : tensor<1x8x?x64xf32>, tensor<8x64xf32> -> tensor<1x8x?x128xf32>
  %0 = lf.lrpe %q, %t : tensor<1x8x?x64xf32>, tensor<8x64xf32> -> tensor<1x8x?x128xf32>
  // CHECK: lf.lrpe %{{.*}}, %{{.*}} offset(%{{.*}} : tensor<f32>) : tensor<2x4x3x16xbf16>, tensor<4x16xf32> -> tensor<2x4x3x32xbf16>
  %1 = lf.lrpe %h, %t2 offset(%o : tensor<f32>) : tensor<2x4x3x16xbf16>, tensor<4x16xf32> -> tensor<2x4x3x32xbf16>
  return %0, %1 : tensor<1x8x?x128xf32>, tensor<2x4x3x32xbf16>
}
