// RUN: lf-opt %s --lf-gpu-emulate --split-input-file | FileCheck %s

// A barrier cuts the body into two thread loops inside the block loops;
// the workgroup buffer becomes a host buffer and %v (loaded before the
// barrier, used after it) a per-thread slot.
// CHECK-LABEL: func.func @cut
// CHECK-NOT: gpu.
// CHECK: %[[SLOT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?xf32>
// CHECK: %[[BUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<32xf32>
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     scf.for %[[BX:.*]] =
// CHECK:       scf.for %[[T:.*]] =
// CHECK:         %[[V:.*]] = memref.load %arg0
// CHECK:         memref.store %[[V]], %[[BUF]]
// CHECK:         memref.store %[[V]], %[[SLOT]][%[[T]]]
// CHECK:       scf.for %[[T2:.*]] =
// CHECK:         memref.load %[[BUF]]
// CHECK:         memref.load %[[SLOT]][%[[T2]]]
// The host buffers are freed once the launch completes.
// CHECK-DAG: memref.dealloc %[[BUF]]
// CHECK-DAG: memref.dealloc %[[SLOT]]
// CHECK: return
func.func @cut(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  %c31 = arith.constant 31 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%buf : memref<32xf32, #gpu.address_space<workgroup>>) {
    %base = arith.muli %bx, %sx : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %in[%i] : memref<64xf32>
    memref.store %v, %buf[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %r = arith.subi %c31, %tx : index
    %w = memref.load %buf[%r] : memref<32xf32, #gpu.address_space<workgroup>>
    %s = arith.addf %v, %w : f32
    memref.store %s, %out[%i] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

// A thread-dependent condition around a shuffle guards each piece of the
// branch per thread; without synchronization inside, an scf.if stays in
// its thread loop.
// CHECK-LABEL: func.func @guarded
// CHECK-NOT: gpu.
// CHECK: %[[G:.*]] = arith.cmpi ult
// CHECK: scf.if %[[G]]
// CHECK:   arith.sitofp
// CHECK:   memref.store %{{.*}}, %[[SRC:.*]][%{{.*}}] : memref<?xf32>
// CHECK: scf.for
// CHECK:   scf.if
// CHECK:     arith.xori
// CHECK:     %[[FROM:.*]] = arith.select
// CHECK:     memref.load %[[SRC]][%[[FROM]]]
func.func @guarded(%out: memref<64xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1 : i32
  %w = arith.constant 32 : i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %in = arith.cmpi ult, %tx, %n : index
    scf.if %in {
      %i = arith.index_cast %tx : index to i32
      %f = arith.sitofp %i : i32 to f32
      %sh, %ok = gpu.shuffle xor %f, %one, %w : f32
      memref.store %sh, %out[%tx] : memref<64xf32>
    }
    gpu.terminator
  }
  return
}
