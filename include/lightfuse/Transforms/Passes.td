//===- Passes.td - lightfuse transformation passes ---------*- tablegen -*-===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_TRANSFORMS_PASSES_TD
#define LIGHTFUSE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

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

    After: one loop over row tiles computing all three per tile.

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
           "Rows (outer parallel iterations) per tile">
  ];
  let statistics = [
    Statistic<"numTiled", "num-tiled", "Root ops tiled">,
    Statistic<"numFused", "num-fused", "Producers fused into row loops">
  ];
}

#endif // LIGHTFUSE_TRANSFORMS_PASSES_TD
