// RUN: lf-opt %s --lf-emit-c-interface | FileCheck %s

// Public functions with a body get the C interface attribute; private and
// external ones do not.
// CHECK-LABEL: func.func @pub
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func @pub(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
// CHECK-LABEL: func.func private @priv
// CHECK-NOT: llvm.emit_c_interface
// CHECK: return
func.func private @priv(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
// CHECK: func.func private @ext(tensor<4xf32>) -> tensor<4xf32>{{$}}
func.func private @ext(tensor<4xf32>) -> tensor<4xf32>
