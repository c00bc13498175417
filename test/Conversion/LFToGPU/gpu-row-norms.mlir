// The generic GPU lowering of an RMSNorm (row-kernels=false): three kernels
// (fill, sum of squares, epilogue) in one gpu.module, buffers in host-shared
// (managed) memory, 128 threads per block along the contiguous dimension.
// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-lower-to-gpu-pipeline{row-kernels=false})" | FileCheck %s
// By default the warp-per-row kernel: one launch of 256 threads.
// RUN: lf-opt %s --lf-lower-to-gpu-pipeline | FileCheck %s --check-prefix=DEFAULT
// DEFAULT-LABEL: func.func @rms
// DEFAULT: scf.if
// DEFAULT: gpu.launch_func {{.*}} threads in (%c256
// DEFAULT: else
// DEFAULT: gpu.launch_func {{.*}} threads in (%c256
// DEFAULT-NEXT: }
// DEFAULT-NEXT: return

// CHECK-LABEL: func.func @rms
// CHECK: gpu.alloc host_shared
// CHECK: gpu.launch_func @[[M:.*]]::@[[K0:.*]] blocks in ({{.*}}) threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}})
// CHECK: gpu.launch_func @[[M]]::@{{.*}} blocks in
// CHECK: gpu.launch_func @[[M]]::@{{.*}} blocks in ({{.*}}) threads in (%c1{{.*}}, %c128
// CHECK: gpu.dealloc
// CHECK: gpu.module @[[M]]
// CHECK-COUNT-3: gpu.func @{{.*}} kernel
// CHECK-NOT: gpu.module
func.func @rms(%x: tensor<?x192xf32>, %g: tensor<192xf32>) -> tensor<?x192xf32> {
  %y = lf.rms_norm %x gain(%g : tensor<192xf32>) : tensor<?x192xf32>
  return %y : tensor<?x192xf32>
}

// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-gpu-row-norms))" | FileCheck %s --check-prefix=ROW
// The row kernel: one warp per row (8 rows per 256-thread block),
// a strided sum of squares per lane, a 5-step xor-shuffle butterfly. Rows
// of 192 f32: each lane moves 4 floats (16 bytes) at a time, 128 per warp.
// The 16-byte kernel runs when the input and gain are 16-byte aligned
// (checked on the host); otherwise the same kernel with scalar lanes.
// ROW-LABEL: func.func @rms
// ROW: bufferization.to_buffer %arg0 read_only
// ROW: memref.extract_aligned_pointer_as_index
// ROW: arith.remui {{.*}}, %c16
// ROW: scf.if
// ROW: gpu.launch blocks({{.*}}) threads({{.*}}) in ({{.*}} = %c256
// ROW: scf.if
// ROW: scf.for {{.*}} step %c128
// ROW: vector.load {{.*}} {alignment = 16 : i64} : memref<?x192xf32>, vector<4xf32>
// ROW: vector.reduction <add>
// ROW-COUNT-5: gpu.shuffle  xor
// ROW: math.rsqrt
// ROW: vector.store {{.*}} {alignment = 16 : i64} : memref<?x192xf32>, vector<4xf32>
// ROW: } else {
// ROW: gpu.launch
// ROW: scf.for {{.*}} step %c32
// ROW: memref.load
// ROW-COUNT-5: gpu.shuffle  xor
// ROW: memref.store
// ROW: bufferization.to_tensor

// f16 rows of 96: 8 halves (16 bytes) per lane access.
// ROW-LABEL: func.func @layer
// ROW: gpu.launch
// ROW: vector.load {{.*}} : memref<?x96xf16>, vector<8xf16>
// ROW-COUNT-10: gpu.shuffle  xor
// ROW: math.rsqrt
func.func @layer(%x: tensor<?x96xf16>, %g: tensor<96xf16>, %b: tensor<96xf16>) -> tensor<?x96xf16> {
  %y = lf.layer_norm %x gain(%g : tensor<96xf16>) bias(%b : tensor<96xf16>) : tensor<?x96xf16>
  return %y : tensor<?x96xf16>
}

// lf.residual_norm: the first pass stores the sum and accumulates the
// shifted sum, the second the squares (from the stored sum), the last
// writes y; both results come from the kernel's buffers.
// ROW-LABEL: func.func @residual
// ROW: %[[SUM:.*]] = memref.alloc
// ROW: gpu.launch
// ROW: scf.for
// ROW: arith.addf
// ROW: vector.store {{.*}}, %[[SUM]]
// ROW-COUNT-5: gpu.shuffle  xor
// ROW: scf.for
// ROW: vector.load %[[SUM]]
// ROW-COUNT-5: gpu.shuffle  xor
// ROW: math.rsqrt
// ROW: bufferization.to_tensor %[[SUM]]
// ROW-NOT: lf.residual_norm
func.func @residual(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %s, %y = lf.residual_norm layer %x, %r {eps = 1.0e-05 : f32} : tensor<?x64xf32>
  return %s, %y : tensor<?x64xf32>, tensor<?x64xf32>
}

// A row length that is no multiple of 4 floats (or dynamic): scalar lanes.
// ROW-LABEL: func.func @odd
// ROW: scf.for {{.*}} step %c32
// ROW: memref.load
// ROW-NOT: vector.load
// ROW: return
func.func @odd(%x: tensor<?x30xf32>) -> tensor<?x30xf32> {
  %y = lf.rms_norm %x : tensor<?x30xf32>
  return %y : tensor<?x30xf32>
}

// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-gpu-row-norms))" | FileCheck %s --check-prefix=BLOCK
// Rows of 4096 f32 (1024 16-byte vectors): a 256-thread block per row, each
// thread holding 4 vectors; the two statistics reduce through shuffles and
// 8 + 8 floats of shared memory; the output is stored from registers (the
// row is read once).
// BLOCK-LABEL: func.func @wide_rows
// BLOCK: scf.if
// BLOCK: gpu.launch blocks(%{{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads({{.*}}) in (%{{.*}} = %c256{{.*}}) dynamic_shared_memory_size %c64_i32
// BLOCK-COUNT-4: vector.load {{.*}} : memref<?x4096xf32>, vector<4xf32>
// BLOCK-NOT: vector.load {{.*}} : memref<?x4096xf32>
// BLOCK-COUNT-5: gpu.shuffle xor
// BLOCK: gpu.barrier
// BLOCK-COUNT-5: gpu.shuffle xor
// BLOCK: gpu.barrier
// BLOCK: math.rsqrt
// BLOCK-COUNT-4: vector.store
// BLOCK: } else {
// BLOCK: gpu.launch
func.func @wide_rows(%x: tensor<?x4096xf32>, %g: tensor<4096xf32>, %b: tensor<4096xf32>) -> tensor<?x4096xf32> {
  %y = lf.layer_norm %x gain(%g : tensor<4096xf32>) bias(%b : tensor<4096xf32>) : tensor<?x4096xf32>
  return %y : tensor<?x4096xf32>
}
