// RUN: lf-opt %s --lf-cpu-linear-ukernel=threads=2 -split-input-file | FileCheck %s
// The packing depends on {lf.weight} arguments only: lf-hoist-weight-prep
// moves it into @<fn>_prepare.
// RUN: lf-opt %s --lf-cpu-linear-ukernel --lf-hoist-weight-prep -split-input-file | FileCheck %s --check-prefix=HOIST

// The callee is declared once, with a C interface; its inputs are tensors it
// only reads (bufferization sees the read at each call), its output a buffer.
// CHECK: func.func private @lf_gemm_f32(tensor<?x?xf32> {bufferization.access = "read"}, tensor<?x?x?xf32> {bufferization.access = "read"}, tensor<?xf32> {bufferization.access = "read"}, memref<?x?xf32, strided<[?, ?], offset: ?>>, i32, i32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @linear_bias
// N = 130 is padded to 3 panels of 64 columns, laid out [panel, k, column].
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<192x300xf32>)
// CHECK: %[[P:.*]] = tensor.insert_slice %arg1 into %[[Z]][0, 0] [130, 300] [1, 1]
// CHECK: %[[E:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0, 1], [2]] output_shape [3, 64, 300] : tensor<192x300xf32> into tensor<3x64x300xf32>
// CHECK: %[[W:.*]] = linalg.transpose ins(%[[E]] : tensor<3x64x300xf32>) outs(%{{.*}} : tensor<3x300x64xf32>) permutation = [0, 2, 1]
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x130xf32>
// CHECK: %[[X:.*]] = tensor.cast %arg0 : tensor<?x300xf32> to tensor<?x?xf32>
// CHECK: %[[WC:.*]] = tensor.cast %[[W]] : tensor<3x300x64xf32> to tensor<?x?x?xf32>
// CHECK: %[[B:.*]] = tensor.cast %arg2 : tensor<130xf32> to tensor<?xf32>
// CHECK: %[[OC:.*]] = memref.cast %[[OUT]]
// CHECK: call @lf_gemm_f32(%[[X]], %[[WC]], %[[B]], %[[OC]], %[[ACT:.*]], %[[THR:.*]])
// CHECK: %[[Y:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: return %[[Y]]
// CHECK-NOT: lf.linear
// HOIST-LABEL: func.func @linear_bias(
// HOIST-LABEL: func.func @linear_bias_prepare(%{{.*}}: tensor<130x300xf32>) -> tensor<3x300x64xf32>
// HOIST: linalg.fill
// HOIST: tensor.insert_slice
// HOIST: linalg.transpose
// HOIST-LABEL: func.func @linear_bias_prepared(
// HOIST-SAME: %{{.*}}: tensor<3x300x64xf32>)
// HOIST-NOT: linalg.transpose
// HOIST: call @lf_gemm_f32
func.func @linear_bias(%x: tensor<?x300xf32>, %w: tensor<130x300xf32> {lf.weight},
                       %b: tensor<130xf32>) -> tensor<?x130xf32> {
  %0 = lf.linear %x, %w bias(%b : tensor<130xf32>) : tensor<?x300xf32>, tensor<130x300xf32> -> tensor<?x130xf32>
  return %0 : tensor<?x130xf32>
}

// -----

// A ReLU that is the linear's only user runs in the kernel (act = 1); a
// rank-3 input is collapsed to [M, K], the result is allocated in its own
// shape and written through a [M, N] view (no expand_shape: MLIR 22's
// expand-strided-metadata crashed on one with two dynamic sizes); no bias
// passes an empty [0] buffer. threads=2 reaches the call.
// CHECK-LABEL: func.func @relu_rank3
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : i32
// CHECK-DAG: arith.constant dense<> : tensor<0xf32>
// CHECK-NOT: linalg.fill
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<2x?x64xf32> into tensor<?x64xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<2x?x128xf32>
// CHECK: memref.collapse_shape %[[OUT]] {{\[\[}}0, 1], [2]] : memref<2x?x128xf32> into memref<?x128xf32>
// CHECK: call @lf_gemm_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], %[[TWO]])
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable : memref<2x?x128xf32> to tensor<2x?x128xf32>
// CHECK-NOT: lf.activation
func.func @relu_rank3(%x: tensor<2x?x64xf32>, %w: tensor<128x64xf32>) -> tensor<2x?x128xf32> {
  %0 = lf.linear %x, %w : tensor<2x?x64xf32>, tensor<128x64xf32> -> tensor<2x?x128xf32>
  %1 = lf.activation relu %0 : tensor<2x?x128xf32>
  return %1 : tensor<2x?x128xf32>
}

// -----

// Left to the linalg lowering: bf16, a dynamic weight, and a linear of
// weights only (weight preparation, which lf-hoist-weight-prep moves out).
// CHECK-LABEL: func.func @declined
// CHECK-NOT: call @lf_gemm_f32
// CHECK-COUNT-3: lf.linear
func.func @declined(%x: tensor<4x64xbf16>, %w: tensor<8x64xbf16>, %y: tensor<4x64xf32>,
                    %wd: tensor<?x64xf32>, %b: tensor<64xf32> {lf.weight},
                    %w2: tensor<8x64xf32> {lf.weight}) -> (tensor<4x8xbf16>, tensor<4x?xf32>, tensor<8xf32>) {
  %0 = lf.linear %x, %w : tensor<4x64xbf16>, tensor<8x64xbf16> -> tensor<4x8xbf16>
  %1 = lf.linear %y, %wd : tensor<4x64xf32>, tensor<?x64xf32> -> tensor<4x?xf32>
  %2 = lf.linear %b, %w2 : tensor<64xf32>, tensor<8x64xf32> -> tensor<8xf32>
  return %0, %1, %2 : tensor<4x8xbf16>, tensor<4x?xf32>, tensor<8xf32>
}

// -----

// The kernel's name is taken by a function of the user's: the linear keeps the
// linalg lowering instead of calling it.
// CHECK-LABEL: func.func @lf_gemm_f32(%{{.*}}: i32) -> i32
// CHECK-LABEL: func.func @taken
// CHECK: lf.linear
// CHECK-NOT: call @lf_gemm_f32
func.func @lf_gemm_f32(%a: i32) -> i32 {
  return %a : i32
}
func.func @taken(%x: tensor<4x64xf32>, %w: tensor<8x64xf32>) -> tensor<4x8xf32> {
  %0 = lf.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// SwiGLU's gate and up projections of one input: one call of the GLU kernel
// with both weights packed and act = 4 (silu); no lf.linear or lf.glu left.
// The biases go in, an absent one as a [0] tensor.
// CHECK: func.func private @lf_gemm_glu_f32(tensor<?x?xf32> {bufferization.access = "read"}, tensor<?x?x?xf32> {bufferization.access = "read"}, tensor<?x?x?xf32> {bufferization.access = "read"}, tensor<?xf32> {bufferization.access = "read"}, tensor<?xf32> {bufferization.access = "read"}, memref<?x?xf32, strided<[?, ?], offset: ?>>, i32, i32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @swiglu
// CHECK-DAG: %[[ACT:.*]] = arith.constant 4 : i32
// CHECK-DAG: %[[THR:.*]] = arith.constant 2 : i32
// CHECK-DAG: %[[NOBIAS:.*]] = arith.constant dense<> : tensor<0xf32>
// CHECK: call @lf_gemm_glu_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ACT]], %[[THR]])
// CHECK-NOT: lf.linear
// CHECK-NOT: lf.glu
// CHECK-NOT: call @lf_gemm_f32
// HOIST-LABEL: func.func @swiglu_prepare
// HOIST-COUNT-2: linalg.transpose
// HOIST-LABEL: func.func @swiglu_prepared
// HOIST: call @lf_gemm_glu_f32
func.func @swiglu(%x: tensor<?x96xf32>, %wg: tensor<130x96xf32> {lf.weight},
                  %wu: tensor<130x96xf32> {lf.weight}, %bu: tensor<130xf32>) -> tensor<?x130xf32> {
  %g = lf.linear %x, %wg : tensor<?x96xf32>, tensor<130x96xf32> -> tensor<?x130xf32>
  %u = lf.linear %x, %wu bias(%bu : tensor<130xf32>) : tensor<?x96xf32>, tensor<130x96xf32> -> tensor<?x130xf32>
  %y = lf.glu silu %g, %u : tensor<?x130xf32>
  return %y : tensor<?x130xf32>
}

// -----

// Not one GLU call: the projections read different inputs; the gate has
// another user. Each linear is still a GEMM call and the lf.glu stays.
// CHECK-LABEL: func.func @glu_declined
// CHECK-NOT: call @lf_gemm_glu_f32
// CHECK-COUNT-2: call @lf_gemm_f32
// CHECK: lf.glu silu
// CHECK-COUNT-2: call @lf_gemm_f32
// CHECK: lf.glu none
func.func @glu_declined(%x: tensor<4x64xf32>, %z: tensor<4x64xf32>, %w: tensor<8x64xf32>,
                        %v: tensor<8x64xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = lf.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %b = lf.linear %z, %v : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %0 = lf.glu silu %a, %b : tensor<4x8xf32>
  %c = lf.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %d = lf.linear %x, %v : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %1 = lf.glu none %c, %d : tensor<4x8xf32>
  return %0, %1, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Every gate activation has its kernel code: GeGLU (exact GELU) is act = 6,
// ReGLU 5, the sigmoid GLU 3, SGLU 2.
// CHECK-LABEL: func.func @glu_acts
// CHECK-DAG: %[[GELU:.*]] = arith.constant 6 : i32
// CHECK-DAG: %[[RELU:.*]] = arith.constant 5 : i32
// CHECK-DAG: %[[SIG:.*]] = arith.constant 3 : i32
// CHECK-DAG: %[[NONE:.*]] = arith.constant 2 : i32
// CHECK: call @lf_gemm_glu_f32({{.*}}, %[[GELU]], %{{.*}})
// CHECK: call @lf_gemm_glu_f32({{.*}}, %[[RELU]], %{{.*}})
// CHECK: call @lf_gemm_glu_f32({{.*}}, %[[SIG]], %{{.*}})
// CHECK: call @lf_gemm_glu_f32({{.*}}, %[[NONE]], %{{.*}})
// CHECK-NOT: lf.glu
func.func @glu_acts(%x: tensor<4x64xf32>, %w: tensor<8x64xf32>, %v: tensor<8x64xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = lf.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %b = lf.linear %x, %v : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %0 = lf.glu gelu %a, %b : tensor<4x8xf32>
  %c = lf.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %d = lf.linear %x, %v : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %1 = lf.glu relu %c, %d : tensor<4x8xf32>
  %e = lf.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %f = lf.linear %x, %v : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %2 = lf.glu sigmoid %e, %f : tensor<4x8xf32>
  %g = lf.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %h = lf.linear %x, %v : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %3 = lf.glu none %g, %h : tensor<4x8xf32>
  return %0, %1, %2, %3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
