// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-gpu-shared-allocs))" | FileCheck %s

// Every buffer becomes host-shared GPU memory; its deallocation the
// asynchronous gpu.dealloc between two waits.
// CHECK-LABEL: func.func @buffers
// CHECK: %[[A:.*]] = gpu.alloc host_shared (%{{.*}}) : memref<?x64xf32>
// CHECK-NOT: memref.alloc
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[T1:.*]] = gpu.dealloc async [%[[T0]]] %[[A]] : memref<?x64xf32>
// CHECK: gpu.wait [%[[T1]]]
// CHECK-NOT: memref.dealloc
func.func @buffers(%n: index, %x: memref<?x64xf32>) {
  %t = memref.alloc(%n) : memref<?x64xf32>
  memref.copy %x, %t : memref<?x64xf32> to memref<?x64xf32>
  memref.dealloc %t : memref<?x64xf32>
  return
}
