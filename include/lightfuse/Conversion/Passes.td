//===- Passes.td - lightfuse conversion passes -------------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_PASSES_TD
#define LIGHTFUSE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLFToLinalgPass : Pass<"convert-lf-to-linalg"> {
  let summary = "Lower every lf op to linalg, tensor, arith, math and scf";
  let description = [{
    Rewrites each `lf` op into tensor-level upstream IR: `linalg.generic`
    reductions and elementwise ops (statistics and dot products accumulate
    in `f32` and are rounded once to the storage type), `tensor` reshapes
    for grouped norms, and an `scf.for` over tokens for the causal linear
    attention recurrence. Dynamic dimensions are read with `tensor.dim`.

    Before:

    ```mlir
    %y = lf.rms_norm %x : tensor<?x768xf32>
    ```

    After (abridged):

    ```mlir
    %ss = linalg.generic {iterator_types = ["parallel", "reduction"]}
            ins(%x : tensor<?x768xf32>) outs(%zero : tensor<?xf32>) {...}
    %y  = linalg.generic {iterator_types = ["parallel", "parallel"]}
            ins(%x, %ss : tensor<?x768xf32>, tensor<?xf32>) outs(%e : tensor<?x768xf32>) {
              // x * rsqrt(ss / d + eps)
            }
    ```

    Every `lf` op is illegal afterwards: an op the conversion cannot handle
    is reported with its location and the pass fails.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // LIGHTFUSE_CONVERSION_PASSES_TD
