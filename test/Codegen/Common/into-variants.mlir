// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{into-variants=true})" --mlir-print-ir-after=lf-into-variants -o /dev/null 2>&1 | FileCheck %s
// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{into-variants=true})" | FileCheck %s --check-prefix=LLVM

// A public function with static result shapes gets a destination-passing
// copy @<fn>__into whose result is a trailing out-parameter that the norm
// writes directly (no allocation of the result, no copy; the runtime's
// row-norm kernel or the linalg loops of a gated norm); the original is a
// wrapper that allocates the result and calls it, so the body is compiled
// once. Dynamic results, private functions and a buffer returned twice
// (upstream's promotion cannot split it) keep no variant.
// CHECK-LABEL: func.func @norm(%{{.*}}: memref<8x16xf32>) -> memref<8x16xf32>
// CHECK-NEXT:    %[[R:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x16xf32>
// CHECK-NEXT:    call @norm__into(%{{.*}}, %[[R]]) {no_inline}
// CHECK-NEXT:    return %[[R]]
// CHECK-LABEL: func.func @dynamic(
// CHECK-NOT:     call @dynamic__into
// CHECK-LABEL: func.func @twice(
// CHECK-NOT:     call @twice__into
// CHECK:       func.func @norm__into(%{{.*}}: memref<8x16xf32>, %[[OUT:.*]]: memref<8x16xf32>) attributes {lf.into_of = "norm"
// CHECK-NOT:     memref.alloc() {{.*}} : memref<8x16xf32>
// CHECK-NOT:     memref.copy
// CHECK:         %[[C:.*]] = memref.cast %[[OUT]]
// CHECK:         call @lf_row_norm_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[C]],
// CHECK-NOT:     memref.copy
// CHECK:         return
// The same for a result the linalg lowering computes (a gated norm).
// CHECK:       func.func @gated__into(%{{.*}}: memref<8x16xf32>, %{{.*}}: memref<8x16xf32>, %[[OUT2:.*]]: memref<8x16xf32>) attributes {lf.into_of = "gated"
// CHECK-NOT:     memref.copy
// CHECK:         outs(%[[OUT2]] : memref<8x16xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         return
// CHECK-NOT:   @dynamic__into
// CHECK-NOT:   @helper__into
// CHECK-NOT:   @twice__into
// LLVM: llvm.func @_mlir_ciface_norm__into(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// LLVM-NOT: @twice__into
func.func @norm(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %y = lf.rms_norm %x : tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}
func.func @gated(%x: tensor<8x16xf32>, %u: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %n = lf.rms_norm %x : tensor<8x16xf32>
  %y = lf.mul %n, %u : tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}
func.func @dynamic(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %y = lf.rms_norm %x : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func private @helper(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  return %x : tensor<8x16xf32>
}
func.func @twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %y = lf.add %x, %x : tensor<4xf32>
  return %y, %y : tensor<4xf32>, tensor<4xf32>
}
