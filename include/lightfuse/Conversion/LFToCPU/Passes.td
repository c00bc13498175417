//===- Passes.td - lf to CPU micro-kernels -----------------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CONVERSION_LFTOCPU_PASSES_TD
#define LIGHTFUSE_CONVERSION_LFTOCPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def CPULinearUkernelPass
    : Pass<"lf-cpu-linear-ukernel", "::mlir::ModuleOp"> {
  let summary = "f32 lf.linear as a call to the runtime's packed GEMM kernel";
  let description = [{
    Rewrites every `lf.linear` whose input, weight, bias and result are f32
    and whose weight has a static shape into:

    - the weight packed into panels of 64 output columns,
      `Wp[p, k, j] = W[64 p + j, k]` (zero past N): `tensor.pad` (when N is
      not a multiple of 64), `tensor.expand_shape` and `linalg.transpose` on
      tensors, which depend on the weight only, so `lf-hoist-weight-prep`
      moves them into `<fn>_prepare` for `{lf.weight}` arguments and they run
      once;
    - a call of `@lf_gemm_f32` (the runtime's AVX-512 micro-kernel: 6 x 64
      register tiles over K blocks of 256, the bias and a ReLU applied as the
      last K block is stored) on the input as `[M, K]` and a fresh `[M, N]`
      output buffer; rows are split over `threads` runtime threads.

    A following `lf.activation relu` (the linear's only user) is fused into
    the call. Other element types and dynamic weights keep the linalg
    lowering (register-tiled contractions).

    ```mlir
    %y = lf.linear %x, %w bias(%b : tensor<1024xf32>)
           : tensor<?x768xf32>, tensor<1024x768xf32> -> tensor<?x1024xf32>
    // becomes
    %e = tensor.expand_shape %w [[0, 1], [2]] output_shape [16, 64, 768] ...
    %wp = linalg.transpose ins(%e) outs(...) permutation = [0, 2, 1]
    ...
    call @lf_gemm_f32(%xm, %wpm, %bm, %ym, %c0_i32, %c1_i32) : (...) -> ()
    %y = bufferization.to_tensor %ym restrict writable ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"threads", "threads", "unsigned", /*default=*/"1",
           "Runtime threads of each call (1 sequential; 0: one per core or "
           "LF_NUM_THREADS)">
  ];
  let statistics = [
    Statistic<"numRewritten", "num-rewritten", "Linears calling the kernel">
  ];
}

#endif // LIGHTFUSE_CONVERSION_LFTOCPU_PASSES_TD
