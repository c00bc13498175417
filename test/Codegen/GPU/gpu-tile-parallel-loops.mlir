// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(lf-gpu-tile-parallel-loops{block-size=64}))" | FileCheck %s

// The innermost parallel dimension is tiled by the block size (the others
// by 1): an outer loop over tiles (the grid) around an inner loop of
// block-size iterations (the threads).
// CHECK-LABEL: func.func @rows
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[S:.*]] = arith.muli %{{.*}}, %[[C64]] : index
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to ({{.*}}) step (%{{.*}}, %[[S]])
// CHECK:   scf.parallel ({{.*}}) = ({{.*}}) to (%{{.*}}, %[[S]])
// Bounds guard of the last, partial tile.
// CHECK:     scf.if
// CHECK:       memref.load
// CHECK:       memref.store
func.func @rows(%x: memref<?x?xf32>, %y: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x?xf32>
    memref.store %v, %y[%i, %j] : memref<?x?xf32>
    scf.reduce
  }
  return
}
