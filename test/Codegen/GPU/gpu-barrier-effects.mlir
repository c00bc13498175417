// RUN: lf-opt %s --ownership-based-buffer-deallocation | FileCheck %s

// lightfuse gives gpu.barrier read+write memory effects (upstream declares
// none), so ownership-based buffer deallocation accepts kernels with
// barriers and frees the buffer after the launch.
// CHECK-LABEL: func.func @kernel_with_barrier
// CHECK: %alloc = memref.alloc
// CHECK: gpu.launch
// CHECK:   gpu.barrier
// CHECK: %[[B:[a-z_0-9]+]], %{{.*}} = memref.extract_strided_metadata %alloc
// CHECK: bufferization.dealloc ({{.*}}, %[[B]] : {{.*}}) if ({{.*}}, %true)
func.func @kernel_with_barrier(%x: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %t = memref.alloc() : memref<64xf32>
  memref.copy %x, %t : memref<64xf32> to memref<64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %t[%tx] : memref<64xf32>
    gpu.barrier
    memref.store %v, %x[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
