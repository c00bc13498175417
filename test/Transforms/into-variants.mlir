// RUN: lf-opt %s --lf-add-into-variants | FileCheck %s
// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{into-variants=true})" | FileCheck %s --check-prefix=LLVM
// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{into-variants=true})" --mlir-print-ir-after=lf-promote-into-variants -o /dev/null 2>&1 | FileCheck %s --check-prefix=MEM

// Public functions with static result shapes get a destination-passing copy;
// dynamic results, private functions and functions without results do not.
// CHECK-LABEL: func.func @norm(
// CHECK: func.func @dynamic(
// CHECK: func.func private @helper(
// CHECK-NOT: @dynamic__into
// CHECK-NOT: @helper__into
// CHECK: func.func @norm__into(%{{.*}}: tensor<8x16xf32>) -> tensor<8x16xf32> attributes {lf.into_of = "norm"}
// CHECK-NOT: @dynamic__into
// CHECK-NOT: @helper__into
// CHECK: func.func @twice__into(

// After bufferization the copy's result is a trailing out-parameter that the
// norm writes directly (no allocation in the variant); a buffer returned
// twice keeps no variant (upstream's promotion cannot split it).
// MEM: func.func @norm__into(%{{.*}}: memref<8x16xf32>, %[[OUT:.*]]: memref<8x16xf32>)
// MEM-NOT: memref.alloc() {{.*}} : memref<8x16xf32>
// MEM-NOT: memref.copy
// MEM: outs(%[[OUT]] : memref<8x16xf32>)
// MEM-NOT: memref.copy
// MEM: return
// LLVM: llvm.func @_mlir_ciface_norm__into(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// LLVM-NOT: @twice__into
func.func @norm(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %y = lf.rms_norm %x : tensor<8x16xf32>
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
