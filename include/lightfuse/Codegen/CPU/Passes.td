//===- Passes.td - CPU codegen -----------------------------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_CODEGEN_CPU_PASSES_TD
#define LIGHTFUSE_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TileRowsPass : Pass<"lf-tile-rows", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops along their outer parallel dim and fuse producers";
  let description = [{
    Every root `linalg` op (one whose results leave the linalg graph: a
    `func.return`, a cast) that starts with a parallel loop is tiled along
    that loop by `tile-rows`, and its producers (row statistics, fills,
    elementwise prologues) are fused into the same `scf.for`. A norm's
    reductions and its epilogue then run on a few rows while they sit in L1
    and L2, instead of each sweeping the whole tensor: one read and one write
    per element in total. Producers that are also returned are yielded by the
    loop rather than recomputed.

    Before (abridged): three full-tensor sweeps.

    ```mlir
    %sum = linalg.generic {iterator_types = ["parallel", "reduction"]} ...
    %sq  = linalg.generic {iterator_types = ["parallel", "reduction"]} ...
    %y   = linalg.generic {iterator_types = ["parallel", "parallel"]} ...
    ```

    After: one loop over row tiles computing all three per tile (an
    `scf.forall` with `parallel`, so tiles can run on several threads).

    ```mlir
    %y = scf.for %i = %c0 to %rows step %c8 iter_args(%acc = %init) {
      %sum = linalg.generic ... ins(%x_tile) ...
      %sq  = linalg.generic ...
      %t   = linalg.generic ...
      %r   = tensor.insert_slice %t into %acc ...
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
  let options = [
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"8",
           "Rows (outer parallel iterations) per tile">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "Emit the row loop as scf.forall, whose tiles may run on "
           "different threads (lf-cpu-pipeline{threads != 1} turns it into "
           "a loop on the runtime's thread pool)">
  ];
  let statistics = [
    Statistic<"numTiled", "num-tiled", "Root ops tiled">,
    Statistic<"numFused", "num-fused", "Producers fused into row loops">
  ];
}

def VectorizeContractionsPass
    : Pass<"lf-vectorize-contractions", "::mlir::func::FuncOp"> {
  let summary = "Register-tile and vectorize the contractions (linears, attention products)";
  let description = [{
    Every `linalg.generic` that is a contraction with one reduction loop (the
    lowering of `lf.linear`, `lf.norm_linear` and the attention products) is
    tiled into `tile-m` x `tile-n` output tiles (the output's last two
    dimensions; `tile-n` along the contiguous one) with the reduction loop
    innermost in steps of `tile-k`, the tile loops are peeled so the main
    iterations have full tiles, and those full tiles are vectorized to
    `vector.contract`. After bufferization the accumulator tile is hoisted
    out of the reduction loop (`lf-cpu-pipeline`), so it lives in
    registers: `tile-m` x `tile-n` / 16 AVX-512 accumulators, each loaded
    `tile-n` / 16 B vectors feeding `tile-m` broadcast FMAs. Remainder tiles
    stay scalar loops. An accumulator initialized by `linalg.fill` is tiled
    in two steps (output tiles with the fill fused into each, then the
    reduction of each tile): a full tile's accumulator then starts as the
    constant vector, so the output is neither memset nor read before it is
    written.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8", "Output rows per tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32",
           "Output columns per tile (a multiple of the vector width)">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"4",
           "Reduction steps per vectorized contraction">
  ];
  let statistics = [
    Statistic<"numTiled", "tiled", "Contractions tiled">,
    Statistic<"numVectorized", "vectorized", "Full tiles vectorized">
  ];
}

def VectorizeTransposesPass
    : Pass<"lf-vectorize-transposes", "::mlir::func::FuncOp"> {
  let summary = "Vectorize transposes of the two innermost dimensions in register blocks";
  let description = [{
    A `linalg.generic` that only copies its input with the two innermost
    dimensions swapped (the keys laid out as columns for `q . k^T` in the
    attention lowerings) is tiled into `tile` x `tile` blocks, the tile loops
    are peeled, and the full blocks are vectorized: a block is read as
    `tile` row vectors, transposed in registers (`vector.transpose`, lowered
    with AVX2 8x8 shuffles by `lf-cpu-pipeline`) and written as `tile` row
    vectors. Left alone, LLVM vectorizes the copy loop along the output's
    contiguous dimension with one gather per vector. Remainder blocks stay
    scalar loops.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"tile", "tile", "int64_t", /*default=*/"8",
           "Rows and columns of a register block">
  ];
  let statistics = [
    Statistic<"numTiled", "tiled", "Transposes tiled">,
    Statistic<"numVectorized", "vectorized", "Full blocks vectorized">
  ];
}

def ApproximateMathPass : Pass<"lf-approximate-math"> {
  let summary = "Replace transcendental math ops by vectorizable polynomials";
  let description = [{
    Rewrites `math.exp`, `math.tanh`, `math.erf`, `math.log`, `math.log1p`,
    `math.expm1` (and the other ops upstream MLIR approximates) on `f32` into
    polynomial approximations made of `arith` ops, accurate to a few ulp.
    Unlike calls to libm, these vectorize, so the SiLU/GELU/sigmoid
    epilogues of gates and the decays of attention run at vector speed.

    Before:

    ```mlir
    %e = math.exp %x : f32
    ```

    After: a range reduction, a degree-6 polynomial and an exponent rebuild
    in `arith` ops, with no call.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::x86vector::X86VectorDialect"];
  let options = [
    Option<"enableAvx2", "enable-avx2", "bool", /*default=*/"false",
           "Use AVX2 intrinsics for rsqrt (x86 hosts)">
  ];
}

def LowerVectorsPass : Pass<"lf-lower-vectors", "::mlir::func::FuncOp"> {
  let summary = "Lower the vector ops of CPU code to 1-D FMAs, loads and stores";
  let description = [{
    Runs after bufferization, before `convert-vector-to-llvm`. First lowers
    `vector.contract` (the register tiles of `lf-vectorize-contractions`) to
    outer products, i.e. broadcasts and 1-D FMAs, before the generic patterns
    could turn them into horizontal reductions. Then lowers outer products,
    transposes (8x8 f32 transposes as AVX2 shuffles and blends, the rest as
    1-D shuffles), multi-reductions (inner-parallel), broadcasts and shape
    casts, and unrolls n-D transfers into 1-D loads and stores.

    ```mlir
    %r = vector.contract {...} %a, %b, %acc : vector<8x4xf32>, vector<4x32xf32> into vector<8x32xf32>
    // becomes broadcasts and vector.fma on vector<32xf32> rows
    ```
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def MarkAllocNoAliasPass : Pass<"lf-mark-alloc-noalias", "::mlir::ModuleOp"> {
  let summary = "Mark the results of the runtime's allocation functions noalias";
  let description = [{
    Runs on the LLVM dialect after `finalize-memref-to-llvm`. The lightfuse
    runtime's allocators (`_mlir_memref_to_llvm_aligned_alloc`,
    `_mlir_memref_to_llvm_alloc`) return fresh memory, as `malloc` does; the
    `llvm.noalias` result attribute tells LLVM so, and it then needs no run-time
    alias checks between new buffers and the inputs before vectorizing, and
    keeps reductions into fresh buffers in registers.

    ```mlir
    llvm.func @_mlir_memref_to_llvm_aligned_alloc(i64, i64) -> !llvm.ptr
    // becomes
    llvm.func @_mlir_memref_to_llvm_aligned_alloc(i64, i64) -> (!llvm.ptr {llvm.noalias})
    ```
  }];
}

def ConvertOpenMPToRuntimePass
    : Pass<"lf-convert-openmp-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Run the parallel loops on the lightfuse runtime's thread pool, not libomp";
  let description = [{
    Runs on the LLVM dialect after `convert-openmp-to-llvm`, where
    `convert-scf-to-openmp` left each parallel loop (the row tiles of norms
    and elementwise ops, attention's (batch, head) loop) as

    ```mlir
    omp.parallel num_threads(%n : i32) {
      omp.wsloop {
        omp.loop_nest (%i, %j) : i64 = (%lb0, %lb1) to (%ub0, %ub1) step (%s0, %s1) {
          ...
          omp.yield
        }
      }
      omp.terminator
    }
    ```

    Each such region becomes an internal function
    `@<fn>_par<N>(%ctx: !llvm.ptr, %begin: i64, %end: i64)` that runs the
    iterations [begin, end) of the loop nest linearized (row-major over its
    dimensions), reading the values it uses from a stack struct at `%ctx`,
    and the region becomes a call of the runtime's `lfParallelRange(threads,
    iterations, fn, ctx)`:

    ```mlir
    %ctx = llvm.alloca %c1 x !llvm.struct<(ptr, i64, ...)> : (i64) -> !llvm.ptr
    llvm.store %x, %field0 : !llvm.ptr, !llvm.ptr
    ...
    %fn = llvm.mlir.addressof @main_par0 : !llvm.ptr
    llvm.call @lfParallelRange(%n, %iterations, %fn, %ctx) : (i32, i64, !llvm.ptr, !llvm.ptr) -> ()
    ```

    The GEMM and norm kernels already run on that pool. With the loops on
    libomp as well, two pools of spinning workers shared the cores: libomp's
    workers spin for 200 ms after each region (`KMP_BLOCKTIME`) while the
    pool's workers needed the same cores for the next GEMM. One pool also
    means compiled code needs no libomp (objects link the runtime only).

    Constant-size `llvm.alloca`s of the loop body move to the outlined
    function's entry (one buffer per chunk, not a stack that grows per
    iteration). Regions with reductions, private or `if` clauses, an
    `ordered` schedule or loop bounds computed inside the region are
    reported as errors: the CPU pipeline never emits them.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
  let statistics = [
    Statistic<"numOutlined", "num-outlined", "Parallel regions outlined">
  ];
}

#endif // LIGHTFUSE_CODEGEN_CPU_PASSES_TD
