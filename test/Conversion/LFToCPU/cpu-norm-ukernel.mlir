// RUN: lf-opt %s --lf-cpu-norm-ukernel=threads=2 -split-input-file | FileCheck %s

// RMSNorm with a gain, returned: one call (kind 0 = RMS, eps, scale 1,
// threads), no bias passes an empty [0] buffer, the output is a fresh
// 64-byte aligned buffer the result tensor owns.
// CHECK-LABEL: func.func @rms
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[RMS:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : i32
// CHECK: tensor.empty() : tensor<0xf32>
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
