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

#endif // LIGHTFUSE_TRANSFORMS_PASSES_TD
