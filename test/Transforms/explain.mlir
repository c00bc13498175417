// "Why did this not fuse?": lf-optimize{explain} reports every declined
// candidate as a located remark; lf-run --explain and the C API / Python
// (explain=True) return the same text.
// RUN: lf-opt %s --lf-optimize="explain=true" -verify-diagnostics -o /dev/null
// RUN: lf-run %s --entry f --random-inputs --no-write --explain 2>&1 | FileCheck %s --check-prefix=EXPLAIN
// RUN: lf-run %s --entry f --random-inputs --no-write 2>&1 | FileCheck %s --check-prefix=QUIET
// RUN: env PYTHONPATH=%lf_src_root/python %PYTHON -c "import lightfuse; m = lightfuse.compile('%s', explain=True); print(m.remarks)" | FileCheck %s --check-prefix=EXPLAIN
// REQUIRES: numpy

// EXPLAIN: explain.mlir:[[# @LINE + 4]]:8: remark: lf-fold-norm-into-linear: not folded: its result is also used by 'func.return'
// QUIET-NOT: remark
func.func @f(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %w: tensor<4x8xf32>) -> (tensor<?x4xf32>, tensor<?x8xf32>) {
  // expected-remark @+1 {{lf-fold-norm-into-linear: not folded: its result is also used by 'func.return', which would observe the difference}}
  %n = lf.rms_norm %x gain(%g : tensor<8xf32>) : tensor<?x8xf32>
  %y = lf.linear %n, %w : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %y, %n : tensor<?x4xf32>, tensor<?x8xf32>
}
