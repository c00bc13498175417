// RUN: lf-opt %s --lf-cpu-norm-ukernel=threads=2 -split-input-file | FileCheck %s
// As in lf-cpu-pipeline, after the linears became GEMM calls:
// RUN: lf-opt %s --lf-cpu-linear-ukernel --lf-cpu-norm-ukernel -split-input-file | FileCheck %s --check-prefix=GEMM

// RMSNorm with a gain, returned: one call (kind 0 = RMS, eps, scale 1,
// threads), no bias passes an empty [0] buffer, the output is a fresh
// 64-byte aligned buffer the result tensor owns.
// CHECK-LABEL: func.func @rms
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[RMS:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : i32
// CHECK-DAG: arith.constant dense<> : tensor<0xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x4096xf32>
// CHECK: call @lf_row_norm_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[EPS]], %[[ONE]], %[[RMS]], %[[TWO]])
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: lf.rms_norm
func.func @rms(%x: tensor<?x4096xf32>, %g: tensor<4096xf32>) -> tensor<?x4096xf32> {
  %0 = lf.rms_norm %x gain(%g : tensor<4096xf32>) : tensor<?x4096xf32>
  return %0 : tensor<?x4096xf32>
}

// -----

// LayerNorm of rank 3 with two dynamic dimensions, gain, bias, eps and
// LayerNorm Scaling's factor, feeding a linear: the output is allocated in
// its own shape and written through a [rows, d] view (kind 1 = layer).
// CHECK-LABEL: func.func @layer_rank3
// CHECK-DAG: %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[LAYER:.*]] = arith.constant 1 : i32
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) {alignment = 64 : i64} : memref<?x?x64xf32>
// CHECK: memref.collapse_shape %[[OUT]] {{\[\[}}0, 1], [2]] : memref<?x?x64xf32> into memref<?x64xf32>
// CHECK: call @lf_row_norm_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[EPS]], %[[SCALE]], %[[LAYER]],
// CHECK: lf.linear
func.func @layer_rank3(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>, %w: tensor<32x64xf32>) -> tensor<?x?x32xf32> {
  %0 = lf.layer_norm %x gain(%g : tensor<64xf32>) bias(%b : tensor<64xf32>) {eps = 1.0e-3 : f32, scale = 0.5 : f32} : tensor<?x?x64xf32>
  %1 = lf.linear %0, %w : tensor<?x?x64xf32>, tensor<32x64xf32> -> tensor<?x?x32xf32>
  return %1 : tensor<?x?x32xf32>
}

// -----

// Left to the linalg lowering, where lf-tile-rows fuses consumers into the
// row tiles: a norm feeding an elementwise op; other element types.
// CHECK-LABEL: func.func @gated
// CHECK: lf.rms_norm
// CHECK-NOT: call
func.func @gated(%x: tensor<8x64xf32>, %u: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %0 = lf.rms_norm %x : tensor<8x64xf32>
  %1 = lf.mul %0, %u : tensor<8x64xf32>
  return %1 : tensor<8x64xf32>
}
// CHECK-LABEL: func.func @half
// CHECK: lf.layer_norm
// CHECK-NOT: call
func.func @half(%x: tensor<8x64xbf16>) -> tensor<8x64xbf16> {
  %0 = lf.layer_norm %x : tensor<8x64xbf16>
  return %0 : tensor<8x64xbf16>
}

// -----

// A symbol of the user's own named @lf_row_norm_f32 keeps the linalg
// lowering.
// CHECK-LABEL: func.func @taken
// CHECK: lf.rms_norm
func.func @lf_row_norm_f32(%a: i32) -> i32 {
  return %a : i32
}
func.func @taken(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %0 = lf.rms_norm %x : tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

// Residual add + RMSNorm feeding a linear, the sum returned (the residual
// stream): one call of @lf_residual_norm_f32 with x, r, gain, the empty
// bias, the sum's fresh buffer and the output's.
// CHECK-LABEL: func.func @residual_rms
// CHECK: %[[SUM:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x1x128xf32>
// CHECK: call @lf_residual_norm_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, f32, i32, i32) -> ()
// CHECK-DAG: bufferization.to_tensor %[[SUM]] restrict writable
// CHECK-DAG: lf.linear
// CHECK-NOT: lf.residual_norm
func.func @residual_rms(%x: tensor<?x1x128xf32>, %r: tensor<?x1x128xf32>, %g: tensor<128xf32>, %w: tensor<64x128xf32>) -> (tensor<?x1x128xf32>, tensor<?x1x64xf32>) {
  %s, %y = lf.residual_norm rms %x, %r gain(%g : tensor<128xf32>) {eps = 1.0e-5 : f32} : tensor<?x1x128xf32>
  %0 = lf.linear %y, %w : tensor<?x1x128xf32>, tensor<64x128xf32> -> tensor<?x1x64xf32>
  return %s, %0 : tensor<?x1x128xf32>, tensor<?x1x64xf32>
}

// -----

// Residual add + LayerNorm whose sum nobody reads: no sum buffer, an empty
// [0, d] one is passed instead (kind 1 = layer).
// CHECK-LABEL: func.func @residual_layer_unused_sum
// CHECK-DAG: %[[LAYER:.*]] = arith.constant 1 : i32
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<8x64xf32>
// CHECK-NOT: memref.alloc(
// CHECK: memref.alloca() : memref<0x64xf32>
// CHECK: call @lf_residual_norm_f32({{.*}}, %[[LAYER]], %{{.*}})
// CHECK: return
func.func @residual_layer_unused_sum(%x: tensor<8x64xf32>, %r: tensor<8x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<8x64xf32> {
  %s, %y = lf.residual_norm layer %x, %r gain(%g : tensor<64xf32>) bias(%b : tensor<64xf32>) {eps = 1.0e-5 : f32} : tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// -----

// The normalized result feeds an elementwise op: left to the row tiles.
// CHECK-LABEL: func.func @residual_gated
// CHECK: lf.residual_norm
// CHECK-NOT: call
func.func @residual_gated(%x: tensor<8x64xf32>, %r: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %s, %y = lf.residual_norm rms %x, %r {eps = 1.0e-5 : f32} : tensor<8x64xf32>
  %0 = lf.mul %y, %s : tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

// A rank-2 norm whose linear is already the GEMM kernel's call: the call
// reads it through a tensor.cast, which does not keep it on the row tiles.
// GEMM-LABEL: func.func @norm_into_gemm_call
// GEMM-NOT: lf.rms_norm
// GEMM: call @lf_row_norm_f32
// GEMM: call @lf_gemm_f32
// CHECK-LABEL: func.func @norm_into_gemm_call
func.func @norm_into_gemm_call(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %0 = lf.rms_norm %x : tensor<8x64xf32>
  %1 = lf.linear %0, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// An external @lf_row_norm_f32 of the user's own with a C interface but
// another type is not the kernel: the norm keeps the linalg lowering (a
// call of it would not verify).
// CHECK-LABEL: func.func @taken_other_type
// GEMM-LABEL: func.func @taken_other_type
// CHECK: lf.rms_norm
// CHECK-NOT: call @lf_row_norm_f32
func.func private @lf_row_norm_f32(memref<?xf32>) attributes {llvm.emit_c_interface}
func.func @taken_other_type(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %0 = lf.rms_norm %x : tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}
