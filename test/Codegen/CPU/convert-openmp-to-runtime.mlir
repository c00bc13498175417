// RUN: lf-opt %s --split-input-file --lf-convert-openmp-to-runtime -verify-diagnostics | FileCheck %s

// A 2-D loop nest (the shape convert-scf-to-openmp gives a parallel loop
// after convert-openmp-to-llvm): the body moves to @<fn>_par<N>, which reads
// the pointer and the scalar it uses from the context struct, rebuilds the
// constants, and runs iterations [begin, end) of the linearized nest; the
// region becomes one call of lfParallelRange with the trip count
// 4 x ub. The struct holds the values the body uses (in order of first use)
// and then the trip counts of the inner dimensions (the outer one only
// bounds the range the runtime splits).
// CHECK-LABEL: llvm.func @two_dims(
// CHECK-SAME: %[[P:.*]]: !llvm.ptr, %[[X:.*]]: f32, %[[UB:.*]]: i64)
// CHECK: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: %[[CTX:.*]] = llvm.alloca %[[ONE]] x !llvm.struct<(i64, ptr, f32, i64)>
// CHECK-NOT: omp.
// CHECK: %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK: llvm.store %[[UB]], %[[F0]] : i64, !llvm.ptr
// CHECK: %[[F1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK: llvm.store %[[P]], %[[F1]] : !llvm.ptr, !llvm.ptr
// CHECK: %[[F2:.*]] = llvm.getelementptr %[[CTX]][0, 2]
// CHECK: llvm.store %[[X]], %[[F2]] : f32, !llvm.ptr
// CHECK: %[[F3:.*]] = llvm.getelementptr %[[CTX]][0, 3]
// CHECK: llvm.store %[[T1:.*]], %[[F3]] : i64, !llvm.ptr
// CHECK-NOT: llvm.getelementptr %[[CTX]][0, 4]
// CHECK: %[[FN:.*]] = llvm.mlir.addressof @two_dims_par0 : !llvm.ptr
// CHECK: llvm.call @lfParallelRange(%{{.*}}, %{{.*}}, %[[FN]], %[[CTX]]) : (i32, i64, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-NEXT: llvm.return

// CHECK-LABEL: llvm.func internal @two_dims_par0(
// CHECK-SAME: %[[C:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK: llvm.load {{.*}} : !llvm.ptr -> i64
// CHECK: llvm.load {{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.load {{.*}} : !llvm.ptr -> f32
// CHECK: llvm.br ^[[HEADER:.*]](%[[BEGIN]] : i64)
// CHECK: ^[[HEADER]](%[[LIN:.*]]: i64):
// CHECK: %[[MORE:.*]] = llvm.icmp "slt" %[[LIN]], %[[END]] : i64
// CHECK: llvm.cond_br %[[MORE]]
// The inner dimension is the remainder by its trip count, the outer the
// quotient.
// CHECK: %[[J:.*]] = llvm.srem %[[LIN]], %[[TRIP1:.*]] : i64
// CHECK: %[[I:.*]] = llvm.sdiv %[[LIN]], %[[TRIP1]] : i64
// CHECK: llvm.store
// CHECK: llvm.add %[[LIN]], %{{.*}} : i64
// CHECK: llvm.return
// CHECK: llvm.func @lfParallelRange(i32, i64, !llvm.ptr, !llvm.ptr)
llvm.func @two_dims(%p: !llvm.ptr, %x: f32, %ub: i64) {
  %n = llvm.mlir.constant(2 : i32) : i32
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %c2 = llvm.mlir.constant(2 : i64) : i64
  %c8 = llvm.mlir.constant(8 : i64) : i64
  omp.parallel num_threads(%n : i32) {
    omp.wsloop {
      omp.loop_nest (%i, %j) : i64 = (%c0, %c0) to (%c8, %ub) step (%c2, %c1) {
        %k = llvm.mul %i, %ub : i64
        %l = llvm.add %k, %j : i64
        %q = llvm.getelementptr %p[%l] : (!llvm.ptr, i64) -> !llvm.ptr, f32
        llvm.store %x, %q : f32, !llvm.ptr
        omp.yield
      }
    }
    omp.terminator
  }
  llvm.return
}

// -----

// No num_threads: the runtime's default (0: LF_NUM_THREADS, OMP_NUM_THREADS
// or one per core). An inclusive upper bound counts one more iteration. A
// constant-size alloca of the body moves to the outlined function's entry
// (one buffer per chunk, not a stack growing with every iteration).
// CHECK-LABEL: llvm.func @defaults(
// CHECK: %[[Z:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call @lfParallelRange(%[[Z]],
// CHECK-LABEL: llvm.func internal @defaults_par0(
// CHECK-NEXT: %[[SZ:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK-NEXT: llvm.alloca %[[SZ]] x f32
// CHECK: llvm.cond_br
llvm.func @defaults(%p: !llvm.ptr, %ub: i64) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : i64 = (%c0) to (%ub) inclusive step (%c1) {
        %c16 = llvm.mlir.constant(16 : i64) : i64
        %buf = llvm.alloca %c16 x f32 : (i64) -> !llvm.ptr
        %v = llvm.load %buf : !llvm.ptr -> f32
        %q = llvm.getelementptr %p[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
        llvm.store %v, %q : f32, !llvm.ptr
        omp.yield
      }
    }
    omp.terminator
  }
  llvm.return
}

// -----

// A region nested in another's loop body: the inner one is outlined first,
// its context slot allocated in the outer loop body (then hoisted to the
// outer outlined function's entry: one slot per chunk, never shared between
// threads).
// CHECK-LABEL: llvm.func @nested(
// CHECK: llvm.call @lfParallelRange(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-LABEL: llvm.func internal @nested_par1(
// CHECK-NEXT: llvm.mlir.constant(1 : i64)
// CHECK-NEXT: llvm.alloca {{.*}} x !llvm.struct<(i64, ptr)>
// CHECK: llvm.mlir.addressof @nested_par0
// CHECK: llvm.call @lfParallelRange(
// CHECK-LABEL: llvm.func internal @nested_par0(
// CHECK-NOT: omp.
llvm.func @nested(%p: !llvm.ptr) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %c4 = llvm.mlir.constant(4 : i64) : i64
  %f = llvm.mlir.constant(1.0 : f32) : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : i64 = (%c0) to (%c4) step (%c1) {
        omp.parallel {
          omp.wsloop {
            omp.loop_nest (%j) : i64 = (%c0) to (%c4) step (%c1) {
              %k = llvm.mul %i, %c4 : i64
              %l = llvm.add %k, %j : i64
              %q = llvm.getelementptr %p[%l] : (!llvm.ptr, i64) -> !llvm.ptr, f32
              llvm.store %f, %q : f32, !llvm.ptr
              omp.yield
            }
          }
          omp.terminator
        }
        omp.yield
      }
    }
    omp.terminator
  }
  llvm.return
}

// -----

llvm.func @side_effect_outside_loop(%p: !llvm.ptr, %x: f32) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  // expected-error @below {{lf-convert-openmp-to-runtime: the parallel region runs operations with side effects outside its loop}}
  omp.parallel {
    llvm.store %x, %p : f32, !llvm.ptr
    omp.wsloop {
      omp.loop_nest (%i) : i64 = (%c0) to (%c1) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  llvm.return
}

// -----

llvm.func @bound_inside(%p: !llvm.ptr) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  // expected-error @below {{lf-convert-openmp-to-runtime: loop bounds computed inside the parallel region are not supported}}
  omp.parallel {
    %ub = llvm.add %c1, %c1 : i64
    omp.wsloop {
      omp.loop_nest (%i) : i64 = (%c0) to (%ub) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  llvm.return
}

// -----

llvm.func @narrow_iv() {
  %c0 = llvm.mlir.constant(0 : i32) : i32
  %c1 = llvm.mlir.constant(1 : i32) : i32
  // expected-error @below {{lf-convert-openmp-to-runtime: expected i64 induction variables (run after convert-openmp-to-llvm)}}
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : i32 = (%c0) to (%c1) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  llvm.return
}

// -----

// A user function named like the runtime's entry but of another type.
llvm.func @lfParallelRange(i64)
llvm.func @clash() {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  // expected-error @below {{lf-convert-openmp-to-runtime: the module declares lfParallelRange with a type other than the runtime's (i32, i64, ptr, ptr)}}
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : i64 = (%c0) to (%c1) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  llvm.return
}

// -----

// An OpenMP operation the runtime has no counterpart for, in the loop body:
// reported before anything is outlined.
llvm.func @barrier_in_loop() {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  // expected-error @below {{lf-convert-openmp-to-runtime: the loop body holds OpenMP operations other than parallel regions}}
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : i64 = (%c0) to (%c1) step (%c1) {
        omp.barrier
        omp.yield
      }
    }
    omp.terminator
  }
  llvm.return
}
