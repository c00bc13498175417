// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{optimize=false})" | FileCheck %s
// The runtime-kernel calls on inputs with two dynamic leading dimensions go
// through the whole CPU pipeline: the results are allocated in their own
// shape and written through a [rows, cols] view, never expanded back (MLIR
// 22's expand-strided-metadata crashed on a memref.expand_shape with two
// dynamic output sizes, which both ukernels used to produce).
// CHECK-LABEL: llvm.func @norm_then_linear(
// CHECK-DAG: llvm.call @lf_row_norm_f32(
// CHECK-DAG: llvm.call @lf_gemm_f32(
func.func @norm_then_linear(%x: tensor<?x?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x?x32xf32> {
  %n = lf.layer_norm %x : tensor<?x?x64xf32>
  %y = lf.linear %n, %w : tensor<?x?x64xf32>, tensor<32x64xf32> -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
