// The GPU lowering of an RMSNorm: three kernels (fill, sum of squares,
// epilogue) in one gpu.module, buffers in host-shared (managed) memory,
// 128 threads per block along the contiguous dimension.
// RUN: lf-opt %s --lf-lower-to-gpu-pipeline | FileCheck %s

// CHECK-LABEL: func.func @rms
// CHECK: gpu.alloc host_shared
// CHECK: gpu.launch_func @[[M:.*]]::@[[K0:.*]] blocks in ({{.*}}) threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}})
// CHECK: gpu.launch_func @[[M]]::@{{.*}} blocks in
// CHECK: gpu.launch_func @[[M]]::@{{.*}} blocks in ({{.*}}) threads in (%c1{{.*}}, %c128
// CHECK: gpu.dealloc
// CHECK: gpu.module @[[M]]
// CHECK-COUNT-3: gpu.func @{{.*}} kernel
// CHECK-NOT: gpu.module
func.func @rms(%x: tensor<?x256xf32>, %g: tensor<256xf32>) -> tensor<?x256xf32> {
  %y = lf.rms_norm %x gain(%g : tensor<256xf32>) : tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-gpu-row-norms))" | FileCheck %s --check-prefix=ROW
// The opt-in row kernel: one warp per row (8 rows per 256-thread block),
// a strided sum of squares per lane, a 5-step xor-shuffle butterfly.
// ROW-LABEL: func.func @rms
// ROW: bufferization.to_buffer %arg0 read_only
// ROW: gpu.launch blocks({{.*}}) threads({{.*}}) in ({{.*}} = %c256
// ROW: scf.if
// ROW: scf.for
// ROW-COUNT-5: gpu.shuffle  xor
// ROW: math.rsqrt
// ROW: memref.store
// ROW: bufferization.to_tensor

// ROW-LABEL: func.func @layer
// ROW: gpu.launch
// ROW-COUNT-10: gpu.shuffle  xor
// ROW: math.rsqrt
func.func @layer(%x: tensor<?x96xf16>, %g: tensor<96xf16>, %b: tensor<96xf16>) -> tensor<?x96xf16> {
  %y = lf.layer_norm %x gain(%g : tensor<96xf16>) bias(%b : tensor<96xf16>) : tensor<?x96xf16>
  return %y : tensor<?x96xf16>
}
