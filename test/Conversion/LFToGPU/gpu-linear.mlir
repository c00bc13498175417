// RUN: lf-opt %s --pass-pipeline='builtin.module(func.func(lf-gpu-linear{explain}))' \
// RUN:   --split-input-file --verify-diagnostics | FileCheck %s

// One kernel per GEMM: 64x64 output tiles (grid ceil(N/64) x ceil(M/64)),
// 256 threads, two 16x68 f32 stages in shared memory, K in steps of 16 with
// the 16 accumulators carried across the barriers; bias and activation in
// the epilogue.
// CHECK-LABEL: func.func @linear_gelu
// CHECK-NOT: lf.linear
// CHECK-NOT: lf.activation
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : memref<2x?x48xf32> into memref<?x48xf32>
// CHECK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c256{{.*}}) dynamic_shared_memory_size %c8704_i32
// CHECK-COUNT-2: memref.view {{.*}} to memref<16x68xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:   gpu.barrier
// CHECK:   math.fma
// CHECK:   gpu.barrier
// CHECK: math.erf
// CHECK: gpu.terminator
func.func @linear_gelu(%x: tensor<2x?x48xf32>, %w: tensor<65x48xf32>, %b: tensor<65xf32>) -> tensor<2x?x65xf32> {
  %a = lf.linear %x, %w bias(%b : tensor<65xf32>) : tensor<2x?x48xf32>, tensor<65x48xf32> -> tensor<2x?x65xf32>
  %y = lf.activation gelu %a : tensor<2x?x65xf32>
  return %y : tensor<2x?x65xf32>
}

// -----

// SwiGLU of one input: one kernel, three stages, 32 accumulators, the gate
// applied in the epilogue.
// CHECK-LABEL: func.func @swiglu
// CHECK-NOT: lf.glu
// CHECK: gpu.launch {{.*}} dynamic_shared_memory_size %c13056_i32
// CHECK-COUNT-3: memref.view
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: math.exp
// CHECK: arith.mulf
// CHECK-NOT: gpu.launch
func.func @swiglu(%x: tensor<?x64xf16>, %w1: tensor<96x64xf16>, %w2: tensor<96x64xf16>) -> tensor<?x96xf16> {
  %a = lf.linear %x, %w1 : tensor<?x64xf16>, tensor<96x64xf16> -> tensor<?x96xf16>
  %u = lf.linear %x, %w2 : tensor<?x64xf16>, tensor<96x64xf16> -> tensor<?x96xf16>
  %y = lf.glu silu %a, %u : tensor<?x96xf16>
  return %y : tensor<?x96xf16>
}

// -----

// Projections of different inputs: two GEMM kernels, the GLU stays.
// CHECK-LABEL: func.func @two_inputs
// CHECK-COUNT-2: gpu.launch
// CHECK: lf.glu
func.func @two_inputs(%x: tensor<8x16xf32>, %z: tensor<8x16xf32>, %w: tensor<32x16xf32>) -> tensor<8x32xf32> {
  %a = lf.linear %x, %w : tensor<8x16xf32>, tensor<32x16xf32> -> tensor<8x32xf32>
  %u = lf.linear %z, %w : tensor<8x16xf32>, tensor<32x16xf32> -> tensor<8x32xf32>
  // expected-remark @below {{not act(x W1^T) * (x W2^T) of one input}}
  %y = lf.glu sigmoid %a, %u : tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// CHECK-LABEL: func.func @vector_input
// CHECK: lf.linear
// CHECK-NOT: gpu.launch
func.func @vector_input(%x: tensor<16xf32>, %w: tensor<32x16xf32>) -> tensor<32xf32> {
  // expected-remark @below {{a rank-1 input keeps the generic lowering}}
  %a = lf.linear %x, %w : tensor<16xf32>, tensor<32x16xf32> -> tensor<32xf32>
  return %a : tensor<32xf32>
}

// -----

// lf.norm_linear: the tile rows' statistics in the prologue (warp shuffles;
// shift, mean of x - shift and rstd: 3 x 64 floats after the two stages),
// (x - shift) - mean as x is staged, rstd in the epilogue.
// CHECK-LABEL: func.func @norm_linear
// CHECK-NOT: lf.norm_linear
// CHECK: gpu.launch {{.*}} dynamic_shared_memory_size %c9472_i32
// CHECK-COUNT-3: memref.view {{.*}} to memref<64xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-10: gpu.shuffle xor
// CHECK: math.rsqrt
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK:   arith.subf
// CHECK:   arith.subf
// CHECK: arith.mulf
// CHECK: gpu.terminator
func.func @norm_linear(%x: tensor<?x96xbf16>, %w: tensor<128x96xbf16>) -> tensor<?x128xbf16> {
  %y = lf.norm_linear layer %x, %w {eps = 1.0e-05 : f32} : tensor<?x96xbf16>, tensor<128x96xbf16> -> tensor<?x128xbf16>
  return %y : tensor<?x128xbf16>
}
