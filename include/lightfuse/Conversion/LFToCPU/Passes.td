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
    the call. An `lf.glu` (any gate: none, sigmoid, silu, relu or the exact
    erf GELU) of two such linears of the same input, each used only by it,
    becomes one call of
    `@lf_gemm_glu_f32` with both weights packed: each gate tile is stored,
    and the up tile's epilogue reads it back from L1 and stores
    `act(gate) * up`, so neither projection reaches memory and the separate
    gate pass disappears.
    Other element types and dynamic weights keep the linalg lowering
    (register-tiled contractions).

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
    Statistic<"numRewritten", "num-rewritten", "Linears calling the kernel">,
    Statistic<"numGluRewritten", "num-glu-rewritten",
              "GLU pairs of linears calling the GLU kernel">
  ];
}

def CPUNormUkernelPass
    : Pass<"lf-cpu-norm-ukernel", "::mlir::ModuleOp"> {
  let summary = "f32 RMSNorm / LayerNorm / add+norm feeding no elementwise op as a call to the runtime's row-norm kernel";
  let description = [{
    Rewrites `lf.rms_norm`, `lf.layer_norm` and `lf.residual_norm` (f32
    input, residual, gain and bias, any rank, normalized over the last
    dimension) into a call of `@lf_row_norm_f32` / `@lf_residual_norm_f32`
    (`lib/Runtime/RowNorm.c`) on the inputs as `[rows, d]` and fresh 64-byte
    aligned outputs (add+norm's sum only when something reads it): AVX-512
    passes over each row while it is in L1/L2 (LayerNorm's statistics
    shifted by the row's first element), rows split over `threads` runtime
    threads, and non-temporal stores when the output is at least half the
    last-level cache. The generated row tiles reach 27-41% of a same-size
    copy on such tensors, the kernel 84-98% from 4 MB on (docs/benchmarks.md).

    The callee takes its inputs as tensors marked
    `bufferization.access = "read"`, so One-Shot Bufferize sees each call
    read them where it stands (a `bufferization.to_buffer` per input could be
    merged by CSE with an earlier one, hiding the read from the analysis).

    A norm whose normalized result feeds an elementwise consumer (the
    NormAttention gate...) keeps the linalg lowering, where `lf-tile-rows`
    fuses the consumer into the row tiles; so do other element types and an
    `lf_row_norm_f32` / `lf_residual_norm_f32` symbol of the user's own.

    ```mlir
    %y = lf.rms_norm %x gain(%g : tensor<4096xf32>) : tensor<?x4096xf32>
    // becomes
    %ym = memref.alloc(%rows) {alignment = 64 : i64} : memref<?x4096xf32>
    call @lf_row_norm_f32(%xt, %gt, %bt, %ym, %eps, %scale, %c0_i32, %c1_i32)
      : (tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>, memref<?x?xf32, ...>, ...)
    %y = bufferization.to_tensor %ym restrict writable ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"threads", "threads", "unsigned", /*default=*/"1",
           "Runtime threads of each call (1 sequential; 0: one per core or "
           "LF_NUM_THREADS)">
  ];
  let statistics = [
    Statistic<"numRewritten", "num-rewritten", "Norms calling the kernel">
  ];
}

#endif // LIGHTFUSE_CONVERSION_LFTOCPU_PASSES_TD
