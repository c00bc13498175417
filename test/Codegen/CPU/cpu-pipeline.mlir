// The CPU pipeline takes every lf op in ops.mlir down to the LLVM dialect.
// RUN: lf-opt %S/../../Dialect/LF/ops.mlir --lf-cpu-pipeline | FileCheck %s
// RUN: lf-opt %s --lf-cpu-pipeline | FileCheck %s --check-prefix=BLOCK

// CHECK-NOT: lf.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK: llvm.func @layer_norm
// CHECK: llvm.func @_mlir_ciface_layer_norm
// CHECK: llvm.func @quadratic_attention

// Elementwise producers are fused into their consumers: the SwiGLU's
// activation and product live in one loop nest, with no buffer for silu(a).
// BLOCK-LABEL: llvm.func @swiglu
// BLOCK-COUNT-1: llvm.call @_mlir_memref_to_llvm_aligned_alloc
// BLOCK-NOT: llvm.call @_mlir_memref_to_llvm_aligned_alloc
func.func @swiglu(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = lf.activation silu %a : tensor<?x64xf32>
  %g = lf.mul %s, %b : tensor<?x64xf32>
  return %g : tensor<?x64xf32>
}
