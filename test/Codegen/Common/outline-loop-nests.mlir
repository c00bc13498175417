// RUN: lf-opt %s --lf-outline-loop-nests="min-loops=2 min-ops=1" | FileCheck %s
// RUN: lf-opt %s --lf-outline-loop-nests | FileCheck %s --check-prefix=SMALL

// Two top-level nests: each becomes a private noinline function; constants
// are cloned, the memrefs and the scalar pass as arguments, the second
// nest's result comes back.
// CHECK-LABEL: func.func private @f_loop0(%arg0: f32, %arg1: memref<64xf32>)
// CHECK-SAME: passthrough = ["noinline"]
// CHECK: arith.constant 0 : index
// CHECK: scf.for
// CHECK: memref.store %arg0, %arg1
// CHECK-LABEL: func.func private @f_loop1(%arg0: memref<64xf32>) -> f32
// CHECK: %[[R:.*]] = scf.for
// CHECK: return %[[R]] : f32
// CHECK-LABEL: func.func @f(
// CHECK: call @f_loop0(%arg1, %arg0) : (f32, memref<64xf32>) -> ()
// CHECK-NEXT: %[[S:.*]] = call @f_loop1(%arg0) : (memref<64xf32>) -> f32
// CHECK-NEXT: return %[[S]]
// Below the default threshold (16 nests) nothing moves.
// SMALL-NOT: call @f_loop
func.func @f(%a: memref<64xf32>, %v: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %v, %a[%i] : memref<64xf32>
  }
  %s = scf.for %i = %c0 to %c64 step %c1 iter_args(%acc = %z) -> f32 {
    %x = memref.load %a[%i] : memref<64xf32>
    %n = arith.addf %acc, %x : f32
    scf.yield %n : f32
  }
  return %s : f32
}
