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

def FuseElementwisePass : Pass<"lf-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg producers without recomputing them";
  let description = [{
    Upstream elementwise fusion, restricted to producers the consumer reads
    either once per element or broadcast only along its innermost loops (a
    per-row value in a row epilogue, which LLVM hoists out of the inner
    loop). Fusing a producer into a consumer that broadcasts it along an
    outer loop (the input of a contraction, read once per output column)
    would recompute it that many times: `linalg-fuse-elementwise-ops` does
    that, this pass does not. Producers must have a single user, as
    upstream.

    Before:

    ```mlir
    %a = linalg.generic {iterator_types = ["parallel", "parallel"]} ins(%x) ...   // x * s
    %b = linalg.generic {iterator_types = ["parallel", "reduction"]} ins(%a) ...  // sum of squares
    %c = linalg.generic {iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %w) ...  // a @ w^T
    ```

    After: `%a` is fused into `%b`'s body (each element read once) but not
    into `%c` (which would recompute it per output column).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
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

def FoldNormIntoLinearPass
    : Pass<"lf-fold-norm-into-linear", "::mlir::func::FuncOp"> {
  let summary = "Fold inference-time per-channel affines into adjacent lf.linear ops";
  let description = [{
    Every per-channel affine `y = a * x + c` along the last axis - from
    `lf.channel_affine`, `lf.batch_norm` and `lf.unified_norm` (inference
    forms), PowerNorm's second stage (running quadratic mean, gain, bias),
    and the gain, bias and LayerNorm-Scaling `scale` of `lf.layer_norm` and
    `lf.rms_norm` - is folded into linear layers
    (OPS.md section 2):

    - **into the preceding linear** (F2) when the affine's input is an
      `lf.linear` with no other user: `W0'[i, :] = a[i] W0[i, :]`,
      `b0' = a * b0 + c`; the affine disappears. Pure affines only.
    - **into the following linears** (F1) when every user of the affine's
      result is the input of an `lf.linear`: `W'[o, i] = W[o, i] a[i]`,
      `b' = b + W c`, one fold per consumer. For norms, the normalization
      stays and loses its gain/bias/scale (PowerNorm keeps its stage 1).

    With constant weights and parameters (`arith.constant`) the new weights
    are computed here, in f64, and rounded once to the weight type; a fold
    whose result would overflow, become non-finite or lose more than
    `max-rel-error` relative precision in that type (a near-zero running
    variance into f16, say) is refused unless `allow-lossy` is set.
    Otherwise the weight-side arithmetic is emitted as ops on the weights
    (`lf.channel_affine`, `lf.linear` on the shift, `arith`/`math` on
    tensors), ready to be hoisted into a prepare function.

    Candidates that are not folded are left unchanged; with `explain`,
    each gets a remark saying why (another user, wrong axis, dtype,
    numerics).

    Before:

    ```mlir
    %n = lf.unified_norm %x, %qm gain(%g : tensor<64xf32>) : tensor<?x64xf32>, tensor<64xf32>
    %y = lf.linear %n, %w bias(%b : tensor<32xf32>) : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
    ```

    After (constant %qm, %g, %w, %b):

    ```mlir
    %y = lf.linear %x, %w2 bias(%b2 : tensor<32xf32>) : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every candidate that is not folded">,
    Option<"allowLossy", "allow-lossy", "bool", /*default=*/"false",
           "Fold even when the folded constants lose precision or overflow">,
    Option<"maxRelError", "max-rel-error", "double", /*default=*/"1.0e-2",
           "Largest relative rounding error accepted per folded constant">
  ];
  let statistics = [
    Statistic<"numFoldedPreceding", "folded-preceding", "Affines folded into the preceding linear">,
    Statistic<"numFoldedFollowing", "folded-following", "Affines folded into following linears">,
    Statistic<"numRefused", "refused", "Candidates left unchanged">
  ];
}

def FoldWeightReparamPass : Pass<"lf-fold-weight-reparam", "::mlir::func::FuncOp"> {
  let summary = "Evaluate weight reparameterizations and LayerNorm Scaling at compile time";
  let description = [{
    The reparameterizations of OPS.md section 6 cost nothing at inference
    once `W_eff` is computed. With constant operands this pass computes it
    in `f64` and replaces the op by an `arith.constant`:

    - `lf.sigma_reparam`: `(gamma / sigma) * W`. With `u`, sigma is the
      reference's evaluation-mode power step from `u`; without it, the
      spectral norm by power iteration on `W^T W` until sigma changes by at
      most `tolerance` (relative) between iterations, within
      `max-iterations` (else refused with a remark).
    - `lf.weight_standardize` and `lf.weight_compand`: their definitions.
    - LayerNorm Scaling: the `scale` of `lf.layer_norm`, `lf.rms_norm` and
      `lf.residual_norm` (`1/sqrt(l)`) moves into the gain (and the bias):
      `g' = g * scale`, `b' = b * scale`. A missing gain becomes a constant
      (static `d`); a non-constant gain gets a weight-side multiply, which
      `lf-hoist-weight-prep` moves out of the per-call function.

    Ops whose operands are not constants stay (they lower to run-time code,
    which `lf-hoist-weight-prep` runs once for `{lf.weight}` arguments);
    with `explain` each gets a remark saying so. A folded value that is not
    finite or loses more than `max-rel-error` in the weight's type is refused
    (unless `allow-lossy`).

    Before:

    ```mlir
    %w = arith.constant dense<...> : tensor<64x32xf32>
    %e = lf.sigma_reparam %w, %gamma : tensor<64x32xf32>, tensor<f32>
    %y = lf.rms_norm %x gain(%g : tensor<64xf32>) {scale = 0.5 : f32} : tensor<?x64xf32>
    ```

    After:

    ```mlir
    %e = arith.constant dense<...> : tensor<64x32xf32>   // W * gamma / sigma(W)
    %y = lf.rms_norm %x gain(%g2 : tensor<64xf32>) : tensor<?x64xf32>   // g2 = g * 0.5
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every candidate that is not folded">,
    Option<"tolerance", "tolerance", "double", /*default=*/"1.0e-9",
           "Relative change of sigma between power iterations at which the "
           "spectral norm is considered converged">,
    Option<"maxIterations", "max-iterations", "int64_t", /*default=*/"10000",
           "Power iterations allowed before the fold is refused">,
    Option<"allowLossy", "allow-lossy", "bool", /*default=*/"false",
           "Fold even when the folded constants lose precision or overflow">,
    Option<"maxRelError", "max-rel-error", "double", /*default=*/"1.0e-2",
           "Largest relative rounding error accepted per folded constant">
  ];
  let statistics = [
    Statistic<"numFolded", "folded", "Reparameterizations evaluated">,
    Statistic<"numScales", "scales-folded", "LayerNorm Scaling factors moved into gains">,
    Statistic<"numRefused", "refused", "Candidates left unchanged">
  ];
}

def LayerNormToRMSNormPass
    : Pass<"lf-layernorm-to-rmsnorm", "::mlir::func::FuncOp"> {
  let summary = "Rewrite Pre-LN into Pre-RMSNorm where it is exact (recentre the stream's writers)";
  let description = [{
    OPS.md section 3.4. A residual stream is the set of values joined by
    residual adds (`lf.add`, the `sum` of `lf.residual_norm`). When every
    reader of a stream is a LayerNorm (`lf.layer_norm`, `lf.residual_norm
    layer`) and every writer can be made zero-mean along the last axis, the
    pass recentres the writers and replaces those LayerNorms by RMSNorms
    with the same gain and eps (a bias becomes an `lf.channel_affine` after
    the norm). Since `LN(x) = LN(P x)` and `P x` has zero mean, the result is
    the same in exact arithmetic; only rounding changes.

    Writers and how they are recentred:
    - `lf.linear`: `W' = P W` (column means over the output axis removed),
      `b' = b - mean(b)`; computed in `f64` when `W`/`b` are constants, else
      as `lf.recenter` ops on the weights (weights-only, so
      `lf-hoist-weight-prep` runs them once);
    - a dense constant (a positional embedding): rows recentred at compile
      time;
    - a function argument (the incoming stream): an `lf.recenter` is
      inserted at the entry (`center-inputs`, on by default);
    - an `lf.recenter` along the last axis: already zero-mean.

    Where exactness cannot be proved the stream is left unchanged and, with
    `explain`, a remark on its first LayerNorm says why, with a note at the
    op to blame: a raw read of the stream (a Post-LN block, the stream
    returned, a linear reading it without a norm), a reader that is not
    mean-invariant (an RMSNorm), a writer that cannot be recentred (a
    per-channel LayerScale `lf.mul` after the output linear, an activation).

    Before:

    ```mlir
    %h = lf.layer_norm %x : tensor<?x64xf32>
    %o = lf.linear %h, %w bias(%b : tensor<64xf32>) : ...
    %s = lf.add %x, %o : tensor<?x64xf32>
    %y = lf.layer_norm %s : tensor<?x64xf32>
    ```

    After:

    ```mlir
    %xc = lf.recenter %x : tensor<?x64xf32>
    %h = lf.rms_norm %xc {eps = 1.0e-05 : f32} : tensor<?x64xf32>
    %w0 = lf.recenter %w {axis = 0 : i64} : tensor<64x64xf32>
    %b0 = lf.recenter %b : tensor<64xf32>
    %o = lf.linear %h, %w0 bias(%b0 : tensor<64xf32>) : ...
    %s = lf.add %xc, %o : tensor<?x64xf32>
    %y = lf.rms_norm %s {eps = 1.0e-05 : f32} : tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every stream that is not rewritten">,
    Option<"centerInputs", "center-inputs", "bool", /*default=*/"true",
           "Recentre function arguments that feed a stream (one pass over "
           "the input) instead of refusing">
  ];
  let statistics = [
    Statistic<"numNorms", "norms-rewritten", "LayerNorms replaced by RMSNorms">,
    Statistic<"numWriters", "writers-recentred", "Writers made zero-mean">,
    Statistic<"numRefused", "refused", "Streams left unchanged">
  ];
}

def FuseNormLinearPass : Pass<"lf-fuse-norm-linear", "::mlir::func::FuncOp"> {
  let summary = "Apply a gain-free norm in the prologue of the linears that read it";
  let description = [{
    A `lf.layer_norm` or `lf.rms_norm` without gain, bias or scale whose
    every user is an `lf.linear` (reading it as the input) is replaced by
    `lf.norm_linear` ops: the row statistics are computed once (CSE merges
    them across the linears), the rows are centred as they are loaded into
    the contraction and `rstd` is applied in the epilogue, so the normalized
    `[M, K]` tensor is never materialized. `lf-fold-norm-into-linear` runs
    first in `lf-optimize` and moves the norm's gain and bias into the
    linears, which leaves exactly this form.

    Declined, with a remark under `explain`: a norm that still has an affine
    tail (its fold was refused), a norm with a user that is not a linear
    (the normalized tensor is needed anyway).

    Before:

    ```mlir
    %n = lf.rms_norm %x {eps = 1.0e-06 : f32} : tensor<?x768xf32>
    %q = lf.linear %n, %wq : tensor<?x768xf32>, tensor<768x768xf32> -> tensor<?x768xf32>
    ```

    After:

    ```mlir
    %q = lf.norm_linear rms %x, %wq {eps = 1.0e-06 : f32}
           : tensor<?x768xf32>, tensor<768x768xf32> -> tensor<?x768xf32>
    ```
  }];
  let dependentDialects = ["::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every norm that is not fused">
  ];
  let statistics = [
    Statistic<"numFused", "fused", "Linears that absorbed their norm">,
    Statistic<"numRefused", "refused", "Norms left unchanged">
  ];
}

def FuseNormAttentionPass
    : Pass<"lf-fuse-norm-attention", "::mlir::func::FuncOp"> {
  let summary = "Fold NormAttention's norm and output gate into the attention (lf.norm_attention)";
  let description = [{
    TransNormerLLM's token-mixer output (OPS.md 4.2), written as
    `lf.linear_attention` ([B, H, N, Dv]), the head-concatenating
    `linalg.transpose` (permutation [0, 2, 1, 3]) and `tensor.collapse_shape`
    (to [B*N, H*Dv] or [B, N, H*Dv]), `lf.rms_norm` over the channels (gain
    allowed) and `lf.mul` with the gate `u`, becomes one
    `lf.norm_attention`. Its tiled lowering writes each head's Lightning
    blocks token-major in place together with per-head sums of squares, so
    the norm and the gate are one pass reading the attention output and `u`
    once, and the transpose disappears.

    Declined, with a remark under `explain`: a non-causal attention or one
    that also returns its state, intermediate results with other users, a
    transpose or reshape that does not concatenate the heads of a token, a
    norm with a scale, a product that is not an elementwise gate.

    Before:

    ```mlir
    %o = lf.linear_attention %q, %k, %v decay(%s : tensor<2xf32>) : ... -> tensor<1x2x?x32xf32>
    %t = linalg.transpose ins(%o : tensor<1x2x?x32xf32>) outs(%e : tensor<1x?x2x32xf32>) permutation = [0, 2, 1, 3]
    %c = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<1x?x2x32xf32> into tensor<?x64xf32>
    %n = lf.rms_norm %c : tensor<?x64xf32>
    %y = lf.mul %u, %n : tensor<?x64xf32>
    ```

    After:

    ```mlir
    %u3 = tensor.expand_shape %u [[0, 1], [2]] output_shape [1, %n, 64] : tensor<?x64xf32> into tensor<1x?x64xf32>
    %y3 = lf.norm_attention %q, %k, %v gate(%u3 : tensor<1x?x64xf32>) decay(%s : tensor<2xf32>) : ... -> tensor<1x?x64xf32>
    %y = tensor.collapse_shape %y3 [[0, 1], [2]] : tensor<1x?x64xf32> into tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::lf::LFDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every NormAttention chain that is not fused">
  ];
  let statistics = [
    Statistic<"numFused", "fused", "Chains replaced by lf.norm_attention">,
    Statistic<"numRefused", "refused", "Chains left unchanged">
  ];
}

def RMSNormToCRMSNormPass
    : Pass<"lf-rmsnorm-to-crmsnorm", "::mlir::func::FuncOp"> {
  let summary = "Store a zero-mean residual stream compressed to d - 1 channels (CRMSNorm)";
  let description = [{
    OPS.md section 3.5, on top of `lf-layernorm-to-rmsnorm`. A residual
    stream whose every writer is provably zero-mean along the last axis (a
    constant or a linear whose constant weight columns and bias have zero
    mean, within `tolerance` of their magnitude; an `lf.recenter`) and whose
    every reader is a gain-free-or-constant-gain `lf.rms_norm` feeding only
    linears with constant weights is stored without its last channel:

    ```
    writers:  W_c = W[0:d-1, :],  b_c = b[0:d-1],  constants [..., 0:d-1]
    readers:  lf.crms_norm(z) (same eps) and W_c[:, i] = W'[:, i] - W'[:, d-1]
              with W' = W diag(gain * scale)
    ```

    Exact, since `W u = sum_{i<d-1} (W[:, i] - W[:, d-1]) u[i]` for
    zero-mean `u`. Not part of `lf-optimize`: odd widths such as 767 hurt
    vectorization. Declined streams get a remark under `explain` (a writer
    not provably zero-mean, a fused `lf.residual_norm`, a reader feeding
    something other than a constant-weight linear, a dynamic width).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::lf::LFDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every stream that is not compressed">,
    Option<"tolerance", "tolerance", "double", /*default=*/"1.0e-5",
           "Largest |mean| relative to the largest |value| accepted as zero mean">
  ];
  let statistics = [
    Statistic<"numStreams", "streams-compressed", "Residual streams stored in d - 1 channels">,
    Statistic<"numRefused", "refused", "Streams left unchanged">
  ];
}

def FuseGluPass : Pass<"lf-fuse-glu", "::mlir::func::FuncOp"> {
  let summary = "Merge the two projections of a GLU into one linear with concatenated weights";
  let description = [{
    `lf.glu act(linear(x, W1, b1), linear(x, W2, b2))`, with both linears
    reading the same `x` and used only by the gate, becomes one
    `lf.linear(x, [W1; W2], [b1; b2])` of width `2F` whose two halves feed
    the gate: one GEMM reads `x` once, and the gate is its epilogue (row
    tiling fuses it). A missing bias becomes zeros when the other linear has
    one. The output width `F` must be static.

    Before:

    ```mlir
    %a = lf.linear %x, %w1 : tensor<?x768xf32>, tensor<2048x768xf32> -> tensor<?x2048xf32>
    %u = lf.linear %x, %w2 : tensor<?x768xf32>, tensor<2048x768xf32> -> tensor<?x2048xf32>
    %y = lf.glu silu %a, %u : tensor<?x2048xf32>
    ```

    After:

    ```mlir
    %w = tensor.insert_slice ... // [W1; W2] : tensor<4096x768xf32>
    %h = lf.linear %x, %w : tensor<?x768xf32>, tensor<4096x768xf32> -> tensor<?x4096xf32>
    %a = tensor.extract_slice %h[0, 0] [%n, 2048] [1, 1]
    %u = tensor.extract_slice %h[0, 2048] [%n, 2048] [1, 1]
    %y = lf.glu silu %a, %u : tensor<?x2048xf32>
    ```
  }];
  let dependentDialects = ["::mlir::lf::LFDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every GLU that is not fused">
  ];
  let statistics = [
    Statistic<"numFused", "fused", "GLUs whose projections were merged">
  ];
}

def HoistWeightPrepPass : Pass<"lf-hoist-weight-prep", "::mlir::ModuleOp"> {
  let summary = "Move weights-only computation into a <fn>_prepare function that runs once";
  let description = [{
    For every public function whose arguments include some marked
    `{lf.weight}`, the computations that depend only on those arguments and
    on constants (the weight-side arithmetic `lf-fold-norm-into-linear`
    leaves when weights are not constants, transposes, casts, ...) are
    moved out:

    - `@<fn>_prepare(<the weight arguments>) -> (<prepared values>)`
      computes them once;
    - `@<fn>_prepared(<all arguments of fn>, <prepared values>)` is `@<fn>`
      reading the prepared values instead of recomputing them.

    `@<fn>` itself is unchanged, so existing callers keep working. Nothing
    is created when there is nothing to hoist.

    Before:

    ```mlir
    func.func @f(%x: tensor<?x4xf32>, %g: tensor<4xf32> {lf.weight}, %w: tensor<3x4xf32> {lf.weight}) -> tensor<?x3xf32> {
      %z = arith.constant dense<0.0> : tensor<4xf32>
      %w2 = lf.channel_affine %w, %g, %z {axis = 1 : i64} : tensor<3x4xf32>, tensor<4xf32>
      %y = lf.linear %x, %w2 : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
      return %y : tensor<?x3xf32>
    }
    ```

    After (added):

    ```mlir
    func.func @f_prepare(%g: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<3x4xf32>
    func.func @f_prepared(%x: tensor<?x4xf32>, %g: tensor<4xf32>, %w: tensor<3x4xf32>,
                          %w2: tensor<3x4xf32>) -> tensor<?x3xf32>
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numHoisted", "hoisted-values", "Prepared values computed once">
  ];
}

def FuseResidualNormPass
    : Pass<"lf-fuse-residual-norm", "::mlir::func::FuncOp"> {
  let summary = "Fuse a residual lf.add and the norm reading it into lf.residual_norm";
  let description = [{
    `lf.add` followed by `lf.layer_norm` or `lf.rms_norm` of the sum becomes
    one `lf.residual_norm` returning both the sum (the residual stream, for
    Pre-LN and Peri-LN blocks) and the normalized value (Post-LN), so the
    stream is read once. Every placement fuses the same way: Pre-LN
    (`s = x + o; n = LN(s)`, `s` continues), Post-LN (`LN(x + o)`), Peri-LN
    (`s = x + No(o); Ni(s)`), Mix-LN (a mix). When one sum feeds several
    norms, the first norm fuses and the others read the fused op's sum.

    Before:

    ```mlir
    %s = lf.add %x, %o : tensor<?x768xf32>
    %n = lf.layer_norm %s gain(%g : tensor<768xf32>) : tensor<?x768xf32>
    ```

    After:

    ```mlir
    %s, %n = lf.residual_norm layer %x, %o gain(%g : tensor<768xf32>)
               {eps = 1.0e-05 : f32} : tensor<?x768xf32>
    ```
  }];
  let dependentDialects = ["::mlir::lf::LFDialect"];
  let statistics = [
    Statistic<"numFused", "fused", "Add + norm pairs fused">
  ];
}


def IntoVariantsPass : Pass<"lf-into-variants", "::mlir::ModuleOp"> {
  let summary = "Destination-passing variants of public functions with static result shapes";
  let description = [{
    Runs after one-shot bufferization, before buffer deallocation. Each
    public `func.func` whose results are statically shaped buffers (each
    returned once) gets a copy `<name>__into`, marked
    `lf.into_of = "<name>"`, whose results upstream's
    `promoteBufferResultsToOutParams` turns into trailing out-parameters: a
    result allocated in the function is computed in the caller's buffer (no
    allocation, no copy), any other result is copied into it. The original
    becomes a wrapper that allocates the results and calls the variant
    (`no_inline`), so the body is compiled once. The JIT calls the variant
    when the caller provides the outputs (`lfFunctionInvoke`, Python
    `out=`).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numAdded", "added", "Destination-passing variants added">
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

//===----------------------------------------------------------------------===//
// GPU (NVPTX) path
//===----------------------------------------------------------------------===//

def GPUSharedAllocsPass : Pass<"lf-gpu-shared-allocs", "::mlir::func::FuncOp"> {
  let summary = "Allocate buffers as GPU memory visible to host and device";
  let description = [{
    After bufferization, every `memref.alloc` becomes `gpu.alloc host_shared`
    (CUDA managed memory) and every `memref.dealloc` of such a buffer a
    `gpu.dealloc`. Kernels, the host-side loops that launch them (the token
    recurrence of linear attention) and the caller reading results all see
    the same pointer; the driver migrates pages to the GPU on first touch,
    so buffers reused across calls stay resident.

    ```mlir
    %t = memref.alloc(%n) : memref<?x64xf32>
    // becomes
    %t = gpu.alloc host_shared (%n) : memref<?x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUTileParallelLoopsPass
    : Pass<"lf-gpu-tile-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Split outermost scf.parallel loops into blocks and threads";
  let description = [{
    Tiles every outermost `scf.parallel` by `block-size` along its innermost
    dimension (1 along the others), so that `gpu-map-parallel-loops` maps the
    tile loop to the grid and the intra-tile loop to `block-size` threads.
    The innermost dimension is the contiguous one of row-major buffers, so
    consecutive threads touch consecutive addresses.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "Threads per block along the innermost parallel dimension">
  ];
}

def GPURowNormsPass : Pass<"lf-gpu-row-norms", "::mlir::func::FuncOp"> {
  let summary = "Lower lf.rms_norm, lf.layer_norm and lf.residual_norm to row kernels with shuffle reductions";
  let description = [{
    GPU path, on by default (`lf-gpu-pipeline{row-kernels=false}` or
    `lf-compile --row-kernels=false` keep the generic lowering). Each row of an
    `lf.rms_norm`, `lf.layer_norm` or `lf.residual_norm` (any rank; the rows
    are all leading dimensions) is handled by one warp (`block-size / 32`
    rows per block): each lane sums a strided slice of the row in f32, a
    5-step `gpu.shuffle xor` butterfly combines the lanes, and the same lanes
    write the normalized row (gain, bias, scale applied). When the static
    row length is a multiple of 16 bytes' worth of elements, every lane
    accesses 16 consecutive bytes at a time (`vector.load`/`vector.store`
    with 16-byte alignment: 128-bit `ld.global.v4` / `st.global.v4`); the
    host checks that the input, residual, gain and bias pointers are 16-byte
    aligned and launches the scalar-lane kernel otherwise.
    LayerNorm uses the CPU lowering's shifted two-pass statistics (shift by
    the row's first element), so large-mean rows do not cancel.
    `lf.residual_norm`: the first pass adds the residual, stores the sum
    (rounded to the storage type, as the CPU lowering) and accumulates the
    first statistic; the later passes re-read the sum each lane wrote.
    Reads are coalesced (consecutive lanes read consecutive elements). The
    generic lowering instead runs one thread per row.

    Rows of a static length that is a multiple of 32 such vectors (and at
    most 16 vectors per thread: 16384 f32) instead take one thread block
    per row (up to 256 threads) holding the row in registers: x (and r)
    are read once, the statistics reduce through warp butterflies and the
    warps' partial sums in shared memory, and the output is written from
    registers - one read and one write of memory per element, where the
    warp kernel re-reads the row for each statistic (from L2 at best).

    Checked numerically on the host by `lf-gpu-emulate`
    (test/Integration/Emulated/row_norms.py); not yet run on a GPU:
    `scripts/gpu-check.sh` and test/Integration/GPU/kernels.test run it
    once one is available.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (warp kernel: block-size / 32 rows per block; "
           "block per row: at most this many threads)">
  ];
}

def GPULinearAttentionPass
    : Pass<"lf-gpu-linear-attention", "::mlir::func::FuncOp"> {
  let summary = "Lightning Attention and the decode step as dedicated GPU kernels";
  let description = [{
    GPU path (on in `lf-gpu-pipeline`, `attention-kernels=false` turns it
    off). A causal `lf.linear_attention` (decay per head or none, static
    `Dk` and `Dv`, any feature map, optional final state) becomes one kernel
    computing Lightning Attention-2: one thread block per (batch, head,
    slice of `Ev` value columns) walks the sequence in blocks of `block`
    tokens with the `Dk x Ev` state in shared memory:

    ```
    A  load phi(Q_b), phi(K_b) (f32), V_b[:, slice]; zero rows past the end
    B  P = (Q_b K_b^T) * lambda^(i-j) (j <= i, else 0)   4x4 tiles per thread
    C  O_b = P V_b + lambda^(i+1) Q_b S                  4 value columns per
    D  S = lambda^len S + sum_j lambda^(len-1-j) k_j^T v_j   thread (16-byte
                                                            shared loads)
    ```

    with a barrier after each phase. The powers `lambda^0..block` are one
    table per thread block; phase B reads 4 key channels of a Q/K row per
    16-byte load (rows padded to `Dk + 4` floats; `Dk + 1`, scalar reads, when
    `Dk` is not a multiple of 4). Shared memory (dynamic, above the 48 KiB
    static limit - the runtime raises the kernel's limit) is
    `4 * (2*block*(Dk+4) + block*Ev + block^2 + Dk*Ev + block + 1)` bytes;
    `block` is halved until it fits `max-shared-bytes`. `Ev` is `Dv`, halved
    while it stays a divisor >= 16 and there are fewer than `min-blocks`
    thread blocks (few heads still fill the GPU; phase B is then repeated
    per slice). Memory use is independent of the sequence length.

    `lf.linear_attention_step` becomes one kernel per (batch, head, value
    slice): `S' = lambda S + phi(k)^T v` with consecutive threads on
    consecutive value columns (coalesced), then `o = phi(q) S'` from shared
    memory. `lf.norm_attention` is expanded first (its attention part takes
    the kernel, its RMSNorm the row kernel when enabled).

    Declined forms keep the generic lowering (`explain` emits a remark
    saying why): non-causal attention (two GEMMs), per-channel decays,
    dynamic head dims. Checked numerically on the host by `lf-gpu-emulate`
    (test/Integration/Emulated); not yet run on a GPU.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"block", "block", "int64_t", /*default=*/"64",
           "Tokens per Lightning block (a multiple of 4)">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per thread block">,
    Option<"valueTile", "value-tile", "int64_t", /*default=*/"0",
           "Value columns per thread block when it divides Dv (else, and "
           "for 0, automatic)">,
    Option<"minBlocks", "min-blocks", "int64_t", /*default=*/"128",
           "Split value columns until there are this many thread blocks">,
    Option<"maxSharedBytes", "max-shared-bytes", "int64_t", /*default=*/"101376",
           "Shared memory per thread block (99 KiB: two blocks per H100 SM)">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for each op left to the generic lowering">
  ];
}

def GPULinearPass : Pass<"lf-gpu-linear", "::mlir::func::FuncOp"> {
  let summary = "lf.linear as a tiled GEMM kernel; GLU and activations in its epilogue";
  let description = [{
    GPU path (on in `lf-gpu-pipeline`, `gemm-kernels=false` turns it off).
    Each `lf.linear` (`x: [..., K]`, `W: [N, K]`, optional bias) becomes a
    shared-memory tiled SIMT GEMM: a thread block of 256 threads computes a
    64 x 64 output tile, staging 64 x 16 slices of `x` and `W` in shared
    memory (k-major, rows padded to 68 floats) per step of 16 along K; each
    thread accumulates a 4 x 4 register tile (rows `4 ty + i`, columns
    `4 tx + j`) in f32, reading its x and W values for each k as one
    16-byte shared load each (x: a broadcast, W: contiguous). The
    epilogue adds the bias and applies a following single-use
    `lf.activation`. `lf.glu act(x W1^T (+ b1)) * (x W2^T (+ b2))` of one
    input becomes one kernel that stages both weights and keeps both
    accumulators in registers: the two projections never reach memory.

    This is a plain SIMT kernel (no tensor cores, no register double
    buffering); see docs/gpu.md for how far from cuBLAS it is expected to be
    and what would close the gap. Rank-1 inputs keep the generic lowering
    (`explain` says why). Checked numerically on the host by
    `lf-gpu-emulate`; not yet run on a GPU.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for each op left to the generic lowering">
  ];
}

def GPUEmulatePass : Pass<"lf-gpu-emulate", "::mlir::func::FuncOp"> {
  let summary = "Run gpu.launch kernels on the host (checks kernels without a GPU)";
  let description = [{
    Replaces every `gpu.launch` by host loops with the same semantics, so
    that the hand-written kernels (`lf-gpu-row-norms`, `lf-gpu-linear-attention`,
    `lf-gpu-linear`) are checked numerically by the CPU test suite on
    machines without a GPU. `lf-gpu-emulated-pipeline` is the GPU lowering
    with this pass in place of kernel outlining and NVVM code generation,
    then CPU code generation (`lf-run --pass-pipeline=
    'builtin.module(lf-gpu-emulated-pipeline{emit-c-interface})'`).

    Blocks run one after the other. Within a block the body is cut at every
    synchronization point - `gpu.barrier`, `gpu.shuffle`, or an `scf.for` /
    `scf.if` containing one - and each piece runs as a loop over all the
    block's threads (linear id `x + X * (y + Y * z)`, lanes of a warp are 32
    consecutive ids). Per-thread values that live across a cut are kept in
    one host slot per thread, or recomputed when pure (views, index math).
    A loop containing a cut must have block-uniform bounds (its iteration
    arguments are per-thread slots); an `scf.if` containing one runs once
    per block when its condition is block-uniform, else guards each piece of
    its branches per thread (warp-uniform conditions around shuffles).
    `gpu.shuffle` reads the source lane's value published in the previous
    piece. Workgroup attributions and `gpu.dynamic_shared_memory` become
    host buffers (64-byte aligned, freed after the launch: the pass runs
    after buffer deallocation, as in `lf-gpu-emulated-pipeline`).
    Unsupported forms (asynchronous launches, clusters,
    private attributions, synchronization inside other region ops, a
    non-scalar value living across a barrier) are reported on the op.

    Emulation checks the index math, the data flow through shared memory
    and the placement of barriers a kernel's algorithm relies on; it cannot
    catch races between threads that the barriers do not order (threads run
    in order here) or GPU resource limits.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def GPUMergeModulesPass : Pass<"lf-gpu-merge-modules", "::mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` creates one `gpu.module` per kernel. This pass
    moves all kernels into the first one and retargets the `gpu.launch_func`
    ops, so a compiled module carries one PTX/cubin image that is loaded
    once, and `lf-compile --emit=ptx` writes one file `ptxas` accepts.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // LIGHTFUSE_TRANSFORMS_PASSES_TD
