// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-fuse-residual-norm))" -split-input-file | FileCheck %s

// Pre-LN: the sum continues as the residual stream.
// CHECK-LABEL: func @pre_ln
// CHECK: %[[S:.*]], %[[N:.*]] = lf.residual_norm layer %arg0, %arg1 gain(%arg2 : tensor<8xf32>) {eps = 9.99999974E-6 : f32}
// CHECK-NOT: lf.add
// CHECK: return %[[S]], %[[N]]
func.func @pre_ln(%x: tensor<?x8xf32>, %o: tensor<?x8xf32>, %g: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %s = lf.add %x, %o : tensor<?x8xf32>
  %n = lf.layer_norm %s gain(%g : tensor<8xf32>) : tensor<?x8xf32>
  return %s, %n : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Post-LN: only the normalized value continues.
// CHECK-LABEL: func @post_ln
// CHECK: %{{.*}}, %[[N:.*]] = lf.residual_norm rms %arg0, %arg1 {eps = 9.99999997E-7 : f32, scale = 5.000000e-01 : f32}
// CHECK: return %[[N]]
func.func @post_ln(%x: tensor<?x8xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %s = lf.add %x, %o : tensor<?x8xf32>
  %n = lf.rms_norm %s {scale = 0.5 : f32} : tensor<?x8xf32>
  return %n : tensor<?x8xf32>
}

// -----

// Peri-LN: s = x + No(o); Ni(s). The output norm No reads a branch value
// (no add): it stays; the input norm of the next sublayer fuses with the add.
// CHECK-LABEL: func @peri_ln
// CHECK: %[[NO:.*]] = lf.rms_norm %arg1
// CHECK: %[[S:.*]], %[[NI:.*]] = lf.residual_norm rms %arg0, %[[NO]]
// CHECK: return %[[S]], %[[NI]]
func.func @peri_ln(%x: tensor<?x8xf32>, %o: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %no = lf.rms_norm %o : tensor<?x8xf32>
  %s = lf.add %x, %no : tensor<?x8xf32>
  %ni = lf.rms_norm %s : tensor<?x8xf32>
  return %s, %ni : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Mix-LN: a Post-LN layer feeding a Pre-LN layer; one sum read by two norms
// (the second reads the fused op's sum).
// CHECK-LABEL: func @mix_ln
// CHECK: %{{.*}}, %[[P:.*]] = lf.residual_norm layer %arg0, %arg1
// CHECK: %[[S2:.*]], %[[N2:.*]] = lf.residual_norm layer %[[P]], %arg2
// CHECK: %[[N3:.*]] = lf.layer_norm %[[S2]]
// CHECK: return %[[S2]], %[[N2]], %[[N3]]
func.func @mix_ln(%x: tensor<?x8xf32>, %o1: tensor<?x8xf32>, %o2: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %s1 = lf.add %x, %o1 : tensor<?x8xf32>
  %p = lf.layer_norm %s1 : tensor<?x8xf32>
  %s2 = lf.add %p, %o2 : tensor<?x8xf32>
  %n2 = lf.layer_norm %s2 : tensor<?x8xf32>
  %n3 = lf.layer_norm %s2 {eps = 1.0e-3 : f32} : tensor<?x8xf32>
  return %s2, %n2, %n3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}
