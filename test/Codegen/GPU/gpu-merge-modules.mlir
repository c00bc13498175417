// RUN: lf-opt %s --lf-gpu-merge-modules | FileCheck %s

// Two outlined kernels end in the first gpu.module; the launches name it.
// CHECK: gpu.module @k0
// CHECK-DAG: gpu.func @k0
// CHECK-DAG: gpu.func @k1
// CHECK-NOT: gpu.module @k1
// CHECK-LABEL: func.func @f
// CHECK: gpu.launch_func @k0::@k0
// CHECK: gpu.launch_func @k0::@k1
module attributes {gpu.container_module} {
  gpu.module @k0 {
    gpu.func @k0(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @k1 {
    gpu.func @k1(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @f(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k0::@k0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @k1::@k1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
}
