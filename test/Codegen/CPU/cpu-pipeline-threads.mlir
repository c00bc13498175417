// lf-cpu-pipeline{threads}: the (batch, head) loop of tiled linear attention
// becomes an OpenMP work-sharing loop (num_threads when N > 1, the runtime's
// default for 0); threads=1 (the default) keeps a sequential loop and no
// OpenMP at all.
// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{threads=2})" | FileCheck %s --check-prefix=TWO
// RUN: lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{threads=0})" | FileCheck %s --check-prefix=DEFAULT
// RUN: lf-opt %s --lf-cpu-pipeline | FileCheck %s --check-prefix=SEQ
// RUN: not lf-opt %s --pass-pipeline="builtin.module(lf-cpu-pipeline{threads=-1})" 2>&1 | FileCheck %s --check-prefix=BAD

// TWO-LABEL: llvm.func @heads
// TWO: %[[N:.*]] = llvm.mlir.constant(2 : i32) : i32
// TWO: omp.parallel num_threads(%[[N]] : i32)
// TWO: omp.wsloop
// TWO: omp.loop_nest
// DEFAULT-LABEL: llvm.func @heads
// DEFAULT: omp.parallel {
// DEFAULT: omp.wsloop
// SEQ-LABEL: llvm.func @heads
// SEQ-NOT: omp.
// BAD: threads
func.func @heads(%q: tensor<2x4x?x16xf32>, %s: tensor<4xf32>) -> tensor<2x4x?x16xf32> {
  %o = lf.linear_attention %q, %q, %q decay(%s : tensor<4xf32>)
      : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}
