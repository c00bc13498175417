// RUN: lf-opt %s --lf-drop-frontend-attrs | FileCheck %s

// CHECK-LABEL: func.func @f(%arg0: tensor<4xf32>, %arg1: tensor<4xf32> {other.attr}) -> tensor<4xf32> {
func.func @f(%x: tensor<4xf32> {lf.name = "x"}, %w: tensor<4xf32> {lf.weight, other.attr}) -> (tensor<4xf32> {lf.name = "y"}) {
  return %x : tensor<4xf32>
}

// RUN: lf-opt %s --lf-drop-frontend-attrs=prefixes=bufferization. | FileCheck %s --check-prefix=BUF
// After One-Shot Bufferize (the CPU pipeline's second run): the runtime
// kernels' access annotations go, declarations included; lf.* stays.
// BUF-LABEL: func.func @f(%arg0: tensor<4xf32> {lf.name = "x"}
// BUF-LABEL: func.func private @kernel(memref<4xf32>, memref<4xf32>){{$}}
func.func private @kernel(memref<4xf32> {bufferization.access = "read"}, memref<4xf32>)
