// lf-cpu-pipeline{threads}: the (batch, head) loop of tiled linear attention
// and the row-tile loops of norms and linears run on the runtime's thread
// pool: their bodies are outlined into @<fn>_par<N> and called through
// lfParallelRange (N threads when N > 1, the runtime's default for 0; no
// OpenMP left); threads=1 (the default) keeps a sequential loop.
// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{threads=2})" | FileCheck %s --check-prefix=TWO
// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{threads=0})" | FileCheck %s --check-prefix=DEFAULT
// RUN: lf-opt %s --lf-cpu-pipeline | FileCheck %s --check-prefix=SEQ
// RUN: not lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{threads=-1})" 2>&1 | FileCheck %s --check-prefix=BAD

// (Loop nests are outlined into @<fn>_loop<i>, which precede @<fn>.)
// TWO-LABEL: llvm.func @heads_loop0(
// TWO-NOT: omp.
// TWO-DAG: %[[N:.*]] = llvm.mlir.constant(2 : i32) : i32
// TWO-DAG: %[[FN:.*]] = llvm.mlir.addressof @[[BODY:heads_loop[0-9]+_par[0-9]+]]
// TWO: llvm.call @lfParallelRange(%[[N]], %{{.*}}, %[[FN]], %{{.*}}) : (i32, i64, !llvm.ptr, !llvm.ptr) -> ()
// TWO: llvm.func internal @[[BODY]](%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// DEFAULT-LABEL: llvm.func @heads_loop0(
// DEFAULT: %[[Z:.*]] = llvm.mlir.constant(0 : i32) : i32
// DEFAULT: llvm.call @lfParallelRange(%[[Z]],
// DEFAULT-NOT: omp.
// SEQ-LABEL: llvm.func @heads
// SEQ-NOT: omp.
// SEQ-NOT: lfParallelRange
// BAD: threads
func.func @heads(%q: tensor<2x4x?x16xf32>, %s: tensor<4xf32>) -> tensor<2x4x?x16xf32> {
  %o = lf.linear_attention %q, %q, %q decay(%s : tensor<4xf32>)
      : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// Row tiles run on the threads too, and the linear's kernel call gets the
// thread count (the same pool's workers split its rows).
// TWO-LABEL: llvm.func @rows_loop0(
// TWO: %[[T:.*]] = llvm.mlir.constant(2 : i32) : i32
// TWO: llvm.call @lfParallelRange(%[[T]],
// TWO-LABEL: llvm.func @rows(
// TWO: %[[T2:.*]] = llvm.mlir.constant(2 : i32) : i32
// TWO: llvm.call @lf_gemm_f32({{.*}}, %[[T2]]) :
// SEQ-LABEL: llvm.func @rows
// SEQ-NOT: omp.
// SEQ-NOT: lfParallelRange
func.func @rows(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x32xf32> {
  %n = lf.rms_norm %x {eps = 1.0e-6 : f32} : tensor<?x64xf32>
  %y = lf.linear %n, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
